import type { FC } from "hono/jsx";
import type { DestinationAuth, DestinationRow } from "../db/destinations";
import type { SourceSummaryRow } from "../db/sources";
import { createDestinationSchema, updateDestinationSchema } from "../destinations/schemas";
import { ApiError } from "../lib/errors";
import { CsrfField } from "./layout";
import type { Session } from "./session";

/**
 * The destination form of the console: every option the API has, each field named as in the
 * API (`url`, `events`, `retry.max_attempts`, `auth.type`, …), checked by the API's own schemas
 * (src/destinations/schemas.ts) and domain checks, each message shown next to its field.
 */

export type FormValues = Record<string, string | string[]>;
export type FieldErrors = Record<string, string>;

const one = (v: FormValues, k: string) => {
  const x = v[k];
  return (Array.isArray(x) ? x[0] : x)?.trim() ?? "";
};
const many = (v: FormValues, k: string) => {
  const x = v[k];
  return (Array.isArray(x) ? x : x === undefined ? [] : [x]).map((s) => s.trim()).filter(Boolean);
};
const num = (s: string) => (s === "" ? undefined : Number(s));

/** The form as the API's request body; a field the form cannot even read is an error of its own. */
export function bodyOf(v: FormValues, mode: "create" | "edit"): { body: Record<string, unknown>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: Record<string, unknown> = {};
  const optional = (k: string, value: unknown, empty: unknown) => {
    if (value !== undefined && value !== "") body[k] = value;
    else if (mode === "edit") body[k] = empty;
  };
  if (one(v, "name") || mode === "edit") body.name = one(v, "name");
  if (one(v, "url") || mode === "create") body.url = one(v, "url");
  optional("backup_url", one(v, "backup_url") || undefined, null);
  const events = one(v, "events").split(",").map((s) => s.trim()).filter(Boolean);
  optional("events", events.length ? events : undefined, null);
  const sources = many(v, "sources");
  optional("sources", sources.length ? sources : undefined, null);
  const headerText = one(v, "headers");
  if (headerText) {
    const headers: Record<string, string> = {};
    for (const line of headerText.split(/\r?\n/).filter((l) => l.trim())) {
      const at = line.indexOf(":");
      if (at <= 0) errors.headers = `headers: "${line.slice(0, 40)}" is not "Name: value"`;
      else headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    body.headers = headers;
  } else if (one(v, "headers_clear") === "on") body.headers = null;
  const authType = one(v, "auth.type");
  if (authType === "basic") body.auth = { type: "basic", username: one(v, "auth.username"), password: one(v, "auth.password") };
  else if (authType === "bearer") body.auth = { type: "bearer", token: one(v, "auth.token") };
  else if (authType === "none") body.auth = null;
  const maxAttempts = num(one(v, "retry.max_attempts"));
  const schedule = one(v, "retry.schedule_seconds");
  if (maxAttempts !== undefined || schedule) {
    body.retry = {
      ...(maxAttempts !== undefined ? { max_attempts: maxAttempts } : {}),
      ...(schedule ? { schedule_seconds: schedule.split(",").map((s) => Number(s.trim())) } : {}),
    };
  }
  if (one(v, "timeout_ms")) body.timeout_ms = num(one(v, "timeout_ms"));
  optional("rate_limit_per_minute", num(one(v, "rate_limit_per_minute")), null);
  if (one(v, "ordering")) body.ordering = one(v, "ordering");
  const filter = one(v, "filter");
  if (filter) {
    try {
      body.filter = JSON.parse(filter);
    } catch {
      errors.filter = "filter: not valid JSON";
    }
  } else if (mode === "edit") body.filter = null;
  body.include_raw = one(v, "include_raw") === "on";
  const afterFailed = num(one(v, "auto_disable.after_failed_deliveries"));
  const afterSeconds = num(one(v, "auto_disable.after_failing_seconds"));
  if (afterFailed !== undefined || afterSeconds !== undefined) {
    body.auto_disable = { after_failed_deliveries: afterFailed ?? null, after_failing_seconds: afterSeconds ?? null };
  }
  if (one(v, "mtls_certificate")) body.mtls_certificate = one(v, "mtls_certificate");
  if (one(v, "verify") === "on") body.verify = true;
  return { body, errors };
}

/** The API's schema over the body: each issue under its field's name (`retry.max_attempts`, `sources.0` → `sources`). */
export function schemaErrors(body: Record<string, unknown>, mode: "create" | "edit"): FieldErrors {
  const parsed = (mode === "create" ? createDestinationSchema : updateDestinationSchema).safeParse(body);
  const errors: FieldErrors = {};
  if (parsed.success) return errors;
  for (const issue of parsed.error.issues) {
    const path = issue.path.map(String);
    const key = fieldOf(path.join("."));
    errors[key] ??= `${path.join(".") || key}: ${issue.message}`;
  }
  return errors;
}

/** A domain check's ApiError ("url: …", "headers.X: …") as a field error; other errors pass. */
export function domainError(err: unknown): FieldErrors {
  if (err instanceof ApiError && err.status < 500) {
    const m = err.message.match(/^([a-z_.0-9A-Z-]+): /);
    return { [m ? fieldOf(m[1]!) : "_"]: err.message };
  }
  throw err;
}

const GROUPED = ["retry.max_attempts", "retry.schedule_seconds", "auth.username", "auth.password", "auth.token", "auth.type", "auto_disable.after_failed_deliveries", "auto_disable.after_failing_seconds"];
function fieldOf(path: string): string {
  return GROUPED.find((g) => path === g || path.startsWith(`${g}.`)) ?? path.split(".")[0] ?? "_";
}

/** Form values from a saved destination (secrets are never put back in a page). */
export function valuesOf(row: DestinationRow): FormValues {
  return {
    name: row.name ?? "",
    url: row.url,
    backup_url: row.backupUrl ?? "",
    events: (row.events ?? []).join(", "),
    sources: row.sourceIds ?? [],
    "retry.max_attempts": String(row.maxAttempts),
    "retry.schedule_seconds": row.scheduleSeconds.join(", "),
    timeout_ms: String(row.timeoutMs),
    rate_limit_per_minute: row.rateLimitPerMinute === null ? "" : String(row.rateLimitPerMinute),
    ordering: row.ordering,
    filter: row.filter ? JSON.stringify(row.filter) : "",
    include_raw: row.includeRaw ? "on" : "",
    mtls_certificate: row.mtlsCertificate ?? "",
    "auto_disable.after_failed_deliveries": row.autoDisableFailures === null ? "" : String(row.autoDisableFailures),
    "auto_disable.after_failing_seconds": row.autoDisableSeconds === null ? "" : String(row.autoDisableSeconds),
  };
}

interface FormProps {
  session: Session;
  action: string;
  mode: "create" | "edit";
  values: FormValues;
  errors: FieldErrors;
  sources: SourceSummaryRow[];
  /** On edit: what is stored of the sealed fields (header names, auth type). */
  current?: { headerNames: string[]; auth: DestinationAuth | null };
}

const Err: FC<{ errors: FieldErrors; name: string }> = ({ errors, name }) =>
  errors[name] ? (
    <span class="field-error" id={`err-${name}`} role="alert">
      {errors[name]}
    </span>
  ) : null;

/** A labelled text field named as in the API, its error right under it. */
const Field: FC<{ p: FormProps; name: string; label: string; type?: string; hint?: string; required?: boolean }> = ({ p, name, label, type, hint, required }) => (
  <label for={`f-${name}`}>
    {label} <span class="mono small">{name}</span>
    <input
      id={`f-${name}`}
      name={name}
      type={type ?? "text"}
      value={one(p.values, name)}
      required={required}
      aria-invalid={p.errors[name] ? "true" : undefined}
      aria-describedby={p.errors[name] ? `err-${name}` : undefined}
    />
    {hint ? <span class="small muted">{hint}</span> : null}
    <Err errors={p.errors} name={name} />
  </label>
);

export const DestinationForm: FC<FormProps> = (p) => {
  const chosen = new Set(many(p.values, "sources"));
  const known = new Set(["name", "url", "backup_url", "events", "sources", "headers", "filter", "timeout_ms", "rate_limit_per_minute", "ordering", "include_raw", "mtls_certificate", "verify", ...GROUPED]);
  const other = Object.entries(p.errors).filter(([k]) => !known.has(k));
  return (
    <form method="post" action={p.action} class="card form" id="destination-form">
      <CsrfField session={p.session} />
      {other.map(([, m]) => (
        <div class="flash error" role="alert">
          {m}
        </div>
      ))}
      <Field p={p} name="url" label="Endpoint URL" type="url" required={p.mode === "create"} />
      <Field p={p} name="name" label="Name" />
      <Field p={p} name="events" label="Event types" hint="comma-separated; exact types or prefix.* (e.g. tracking.*); empty = all but relay.*" />
      <fieldset class="plain">
        <legend class="small muted">
          Sources <span class="mono">sources</span> (none ticked = all)
        </legend>
        {p.sources.map((s) => (
          <label class="row">
            <input type="checkbox" name="sources" value={s.id} checked={chosen.has(s.id)} /> {s.name} <span class="mono small">{s.id}</span>
          </label>
        ))}
        <Err errors={p.errors} name="sources" />
      </fieldset>
      <Field p={p} name="backup_url" label="Backup URL" type="url" hint="tried when the endpoint fails" />
      <label for="f-filter">
        Payload filter <span class="mono small">filter</span>
        <textarea id="f-filter" name="filter" rows={2} placeholder='{"shipment.carrier": ["ups"]}'>
          {one(p.values, "filter")}
        </textarea>
        <Err errors={p.errors} name="filter" />
      </label>
      <label for="f-headers">
        Custom headers <span class="mono small">headers</span>
        <textarea id="f-headers" name="headers" rows={2} placeholder="X-Api-Key: value (one per line)"></textarea>
        {p.current?.headerNames.length ? (
          <span class="small muted">
            Now: {p.current.headerNames.join(", ")} (values hidden). Type new ones to replace them all, or{" "}
            <label class="row">
              <input type="checkbox" name="headers_clear" /> remove them
            </label>
          </span>
        ) : null}
        <Err errors={p.errors} name="headers" />
      </label>
      <fieldset class="plain">
        <legend class="small muted">
          Authentication <span class="mono">auth</span>
          {p.current ? ` (now: ${p.current.auth?.type ?? "none"})` : ""}
        </legend>
        <label for="f-auth.type">
          <span class="mono small">auth.type</span>
          <select id="f-auth.type" name="auth.type">
            {p.mode === "edit" ? <option value="">keep as it is</option> : null}
            <option value="none">none</option>
            <option value="basic">basic</option>
            <option value="bearer">bearer</option>
          </select>
          <Err errors={p.errors} name="auth.type" />
        </label>
        <Field p={p} name="auth.username" label="Basic user" />
        <Field p={p} name="auth.password" label="Basic password" type="password" />
        <Field p={p} name="auth.token" label="Bearer token" type="password" />
      </fieldset>
      <Field p={p} name="retry.max_attempts" label="Max attempts" type="number" />
      <Field p={p} name="retry.schedule_seconds" label="Retry schedule (seconds)" hint="comma-separated, e.g. 60, 300, 1800" />
      <Field p={p} name="timeout_ms" label="Timeout (ms)" type="number" />
      <Field p={p} name="rate_limit_per_minute" label="Rate limit (per minute)" type="number" />
      <label for="f-ordering">
        Ordering <span class="mono small">ordering</span>
        <select id="f-ordering" name="ordering">
          {["unordered", "per_order"].map((o) => (
            <option value={o} selected={one(p.values, "ordering") === o}>
              {o}
            </option>
          ))}
        </select>
        <Err errors={p.errors} name="ordering" />
      </label>
      <Field p={p} name="auto_disable.after_failed_deliveries" label="Disable after failed deliveries" type="number" hint="0 = never, empty = default" />
      <Field p={p} name="auto_disable.after_failing_seconds" label="Disable after failing for (s)" type="number" hint="0 = never, empty = default" />
      <Field p={p} name="mtls_certificate" label="mTLS certificate binding" />
      <label class="row">
        <input type="checkbox" name="include_raw" checked={one(p.values, "include_raw") === "on"} /> Include the raw payload{" "}
        <span class="mono small">include_raw</span>
      </label>
      <label class="row">
        <input type="checkbox" name="verify" /> Send a test event first; save only if acknowledged <span class="mono small">verify</span>
      </label>
      <Err errors={p.errors} name="verify" />
      <button type="submit">{p.mode === "create" ? "Create destination" : "Save changes"}</button>
    </form>
  );
};
