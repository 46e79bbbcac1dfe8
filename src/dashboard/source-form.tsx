import type { FC } from "hono/jsx";
import type { ProviderName } from "../events/canonical";
import type { FieldErrors, FormValues } from "./destination-form";
import { CsrfField } from "./layout";
import type { Session } from "./session";

/**
 * The source form: the chosen provider's fields only, named as in the API (`name`,
 * `verification.secret`, `credentials.api_key`, `settings`, …), with the preset's
 * verification scheme said in words.
 */

const REGISTRABLE: Partial<Record<ProviderName, { secret: boolean }>> = { shipstation: { secret: true }, shipengine: { secret: false } };
const WITH_SETTINGS = new Set<ProviderName>(["generic", "shipengine"]);

const SCHEME: Record<string, string> = {
  hmac: "an HMAC signature over the body, with the provider's secret (paste the one it issued, or leave empty to have one generated)",
  url_token: "a secret token in the ingest URL (generated; shown once)",
  rsa_jwks: "the provider's RSA signature, checked against its published keys (nothing to enter)",
  basic: "HTTP basic auth",
  header_token: "a secret header",
  mtls: "the provider's client certificate",
  none: "none",
};

const one = (v: FormValues, k: string) => {
  const x = v[k];
  return (Array.isArray(x) ? x[0] : x)?.trim() ?? "";
};

/** The form as the API's create body for `provider`, or (edit) its update body: empty credentials keep the stored ones. */
export function sourceBodyOf(v: FormValues, provider: ProviderName, mode: "create" | "edit" = "create"): { body: Record<string, unknown>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: Record<string, unknown> = mode === "create" ? { name: one(v, "name"), provider } : { name: one(v, "name") };
  if (one(v, "verification.secret") && mode === "create") body.verification = { secret: one(v, "verification.secret") };
  if (REGISTRABLE[provider] && one(v, "credentials.api_key")) {
    body.credentials = {
      api_key: one(v, "credentials.api_key"),
      ...(one(v, "credentials.api_secret") ? { api_secret: one(v, "credentials.api_secret") } : {}),
      ...(one(v, "credentials.api_base_url") ? { api_base_url: one(v, "credentials.api_base_url") } : {}),
    };
  }
  if (WITH_SETTINGS.has(provider) && one(v, "settings")) {
    try {
      body.settings = JSON.parse(one(v, "settings"));
    } catch {
      errors.settings = "settings: not valid JSON";
    }
  }
  if (one(v, "rate_limit_per_minute")) body.rate_limit_per_minute = Number(one(v, "rate_limit_per_minute"));
  else if (mode === "edit") body.rate_limit_per_minute = null;
  const allow = one(v, "ip_allowlist").split(",").map((s) => s.trim()).filter(Boolean);
  if (allow.length) body.ip_allowlist = allow;
  else if (mode === "edit") body.ip_allowlist = null;
  return { body, errors };
}

const errorOf = (errors: FieldErrors, name: string) =>
  Object.entries(errors).find(([k]) => k === name || k === name.split(".")[0])?.[1];

const Field: FC<{ v: FormValues; errors: FieldErrors; name: string; label: string; type?: string; hint?: string; required?: boolean }> = (p) => {
  const err = errorOf(p.errors, p.name);
  return (
    <label for={`f-${p.name}`}>
      {p.label} <span class="mono small">{p.name}</span>
      <input id={`f-${p.name}`} name={p.name} type={p.type ?? "text"} value={one(p.v, p.name)} required={p.required} aria-invalid={err ? "true" : undefined} />
      {p.hint ? <span class="small muted">{p.hint}</span> : null}
      {err ? (
        <span class="field-error" role="alert">
          {err}
        </span>
      ) : null}
    </label>
  );
};

export const SourceForm: FC<{
  session: Session;
  provider: ProviderName;
  preset: string;
  values: FormValues;
  errors: FieldErrors;
  /** Edit: the source's own URL, and stored credentials are kept unless new ones are typed. */
  edit?: { action: string; hasCredentials: boolean };
}> = (p) => {
  const reg = REGISTRABLE[p.provider];
  const shown = new Set(["name", "verification", "credentials", "settings", "rate_limit_per_minute", "ip_allowlist"]);
  const other = Object.entries(p.errors).filter(([k]) => !shown.has(k.split(".")[0]!));
  return (
    <form method="post" action={p.edit?.action ?? "/dashboard/sources"} class="card form" id="source-form">
      <CsrfField session={p.session} />
      <input type="hidden" name="provider" value={p.provider} />
      {other.map(([, m]) => (
        <div class="flash error" role="alert">
          {m}
        </div>
      ))}
      <p>
        <b>{p.provider}</b> · verification: {SCHEME[p.preset] ?? p.preset}
      </p>
      <Field v={p.values} errors={p.errors} name="name" label="Name" required />
      {p.preset === "hmac" && !p.edit ? <Field v={p.values} errors={p.errors} name="verification.secret" label="Provider's signing secret" type="password" /> : null}
      {reg ? (
        <fieldset class="plain">
          <legend class="small muted">
            API credentials, to register webhooks at {p.provider}
            {p.edit?.hasCredentials ? " (stored; leave empty to keep them)" : ""}
          </legend>
          <Field v={p.values} errors={p.errors} name="credentials.api_key" label="API key" type="password" />
          {reg.secret ? <Field v={p.values} errors={p.errors} name="credentials.api_secret" label="API secret" type="password" /> : null}
          <Field v={p.values} errors={p.errors} name="credentials.api_base_url" label="API base URL" hint="only for a sandbox or proxy" />
        </fieldset>
      ) : null}
      {WITH_SETTINGS.has(p.provider) ? (
        <label for="f-settings">
          Settings (JSON) <span class="mono small">settings</span>
          <textarea id="f-settings" name="settings" rows={2}>
            {one(p.values, "settings")}
          </textarea>
          {errorOf(p.errors, "settings") ? <span class="field-error">{errorOf(p.errors, "settings")}</span> : null}
        </label>
      ) : null}
      <Field v={p.values} errors={p.errors} name="rate_limit_per_minute" label="Rate limit (per minute)" type="number" />
      <Field v={p.values} errors={p.errors} name="ip_allowlist" label="IP allowlist" hint="CIDRs, comma-separated; empty = any" />
      <button type="submit">{p.edit ? "Save changes" : "Create source"}</button>
    </form>
  );
};
