import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { getSourceRow, type SourceRow } from "../db/sources";
import { PROVIDERS, type ProviderName } from "../events/canonical";
import { adapterFor } from "../ingest/providers";
import { publicBaseUrl } from "../lib/config";
import { ApiError, notFound } from "../lib/errors";
import { createSource } from "../sources/create";
import { deleteSourceAndWebhooks } from "../sources/delete";
import { ingestUrl } from "../sources/ingest-url";
import { rotateSourceSecret } from "../sources/rotate";
import { createSourceSchema, updateSourceSchema, type CreateSourceInput, type UpdateSourceInput } from "../sources/schemas";
import { updateSourceConfig } from "../sources/update";
import type { Reveal } from "../sources/verification";
import { domainError, type FieldErrors, type FormValues } from "./destination-form";
import { ConfirmDelete, CopyField, render } from "./layout";
import type { DashboardContext, DashboardEnv } from "./session";
import { SourceForm, sourceBodyOf } from "./source-form";

/**
 * Sources made and run from the console, through the API's domain functions: create from a
 * provider preset, rotate (shown once), delete (unsubscribing first), register at the provider
 * with the webhook list as the provider reports it, and the source's own ingest log.
 */
export function registerSourceEditPages(app: Hono<DashboardEnv>) {
  app.get("/sources/new", (c) => {
    const provider = c.req.query("provider");
    if (provider && !(PROVIDERS as readonly string[]).includes(provider)) throw new ApiError(400, "invalid_request", `provider: unknown value "${provider}"`);
    return newPage(c, provider as ProviderName | undefined, { name: "" }, {});
  });

  app.post("/sources", async (c) => {
    const values = (await c.req.parseBody({ all: true })) as FormValues;
    const provider = String(values.provider ?? "") as ProviderName;
    if (!(PROVIDERS as readonly string[]).includes(provider)) throw new ApiError(400, "invalid_request", "provider: pick a provider");
    const { body, errors } = sourceBodyOf(values, provider);
    const parsed = createSourceSchema.safeParse(body);
    if (!parsed.success) for (const i of parsed.error.issues) errors[String(i.path[0] ?? "_")] ??= `${i.path.join(".")}: ${i.message}`;
    if (Object.keys(errors).length) return newPage(c, provider, values, errors, 400);
    try {
      const made = await createSource(c.env, c.get("session").workspaceId, parsed.data as CreateSourceInput);
      return revealPage(c, made.row.id, made.row.name, made.reveal, "created");
    } catch (err) {
      return newPage(c, provider, values, domainError(err), 400);
    }
  });

  app.post("/sources/:id/rotate", async (c) => {
    const rotated = await rotateSourceSecret(c.env, c.get("session").workspaceId, c.req.param("id"), undefined, c.req.url);
    return revealPage(c, rotated.row.id, rotated.row.name, rotated.reveal, "rotated");
  });

  app.get("/sources/:id/delete", (c) => confirmDelete(c, c.req.param("id")));

  app.post("/sources/:id/delete", async (c) => {
    const force = (await c.req.parseBody()).force === "1";
    try {
      await deleteSourceAndWebhooks(c.env, c.get("session").workspaceId, c.req.param("id"), { force, requestUrl: c.req.url });
    } catch (err) {
      // The provider could not unsubscribe: say why, and offer to delete anyway (the API's ?force=true).
      if (err instanceof ApiError && err.code === "unsubscribe_failed") return confirmDelete(c, c.req.param("id"), err.message);
      throw err;
    }
    return c.redirect("/dashboard/sources", 303);
  });

  app.get("/sources/:id/edit", async (c) => {
    const row = await getSourceRow(dbOf(c.env), c.get("session").workspaceId, c.req.param("id"));
    if (!row) throw notFound("source");
    const values: FormValues = {
      name: row.name,
      settings: Object.keys(row.settings ?? {}).length ? JSON.stringify(row.settings) : "",
      rate_limit_per_minute: row.rateLimitPerMinute === null ? "" : String(row.rateLimitPerMinute),
      ip_allowlist: (row.ipAllowlist ?? []).join(", "),
    };
    return editPage(c, row, values, {});
  });

  app.post("/sources/:id", async (c) => {
    const row = await getSourceRow(dbOf(c.env), c.get("session").workspaceId, c.req.param("id"));
    if (!row) throw notFound("source");
    const values = (await c.req.parseBody({ all: true })) as FormValues;
    const { body, errors } = sourceBodyOf(values, row.provider as ProviderName, "edit");
    const parsed = updateSourceSchema.safeParse(body);
    if (!parsed.success) for (const i of parsed.error.issues) errors[String(i.path[0] ?? "_")] ??= `${i.path.join(".")}: ${i.message}`;
    if (Object.keys(errors).length) return editPage(c, row, values, errors, 400);
    try {
      await updateSourceConfig(c.env, row.workspaceId, row.id, parsed.data as UpdateSourceInput);
    } catch (err) {
      return editPage(c, row, values, domainError(err), 400);
    }
    return c.redirect(`/dashboard/sources/${row.id}`, 303);
  });


}

async function confirmDelete(c: DashboardContext, id: string, failure?: string) {
  const session = c.get("session");
  const row = await getSourceRow(dbOf(c.env), session.workspaceId, id);
  if (!row) throw notFound("source");
  return render(
    c,
    { title: "Delete source", active: "sources" },
    <>
      {failure ? (
        <div class="flash error" role="alert">
          {failure}
        </div>
      ) : null}
      <ConfirmDelete
        session={session}
        what={failure ? "source anyway" : "source"}
        name={row.name}
        consequence={
          failure
            ? "The provider may keep calling its ingest URL, which then answers 404."
            : "Webhooks registered at the provider are unsubscribed first; its events stay."
        }
        action={`/dashboard/sources/${row.id}/delete`}
        back={`/dashboard/sources/${row.id}`}
        hidden={failure ? { force: "1" } : undefined}
      />
    </>,
    failure ? 409 : 200,
  );
}

function editPage(c: DashboardContext, row: SourceRow, values: FormValues, errors: FieldErrors, status: 200 | 400 = 200) {
  const provider = row.provider as ProviderName;
  return render(
    c,
    { title: `Edit ${row.name}`, active: "sources" },
    <>
      <p class="small">
        <a href={`/dashboard/sources/${row.id}`}>← {row.name}</a>
      </p>
      <h1>Edit source</h1>
      <SourceForm
        session={c.get("session")}
        provider={provider}
        preset={String(row.verification.type)}
        values={values}
        errors={errors}
        edit={{ action: `/dashboard/sources/${row.id}`, hasCredentials: row.credentialsEnc !== null }}
      />
    </>,
    status,
  );
}

function newPage(c: DashboardContext, provider: ProviderName | undefined, values: FormValues, errors: FieldErrors, status: 200 | 400 = 200) {
  return render(
    c,
    { title: "New source", active: "sources" },
    <>
      <p class="small">
        <a href="/dashboard/sources">← Sources</a>
      </p>
      <h1>New source</h1>
      <form method="get" action="/dashboard/sources/new" class="filters">
        <label for="pick-provider">
          Provider <span class="mono small">provider</span>
          <select id="pick-provider" name="provider">
            {PROVIDERS.map((p) => (
              <option value={p} selected={p === provider}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary">
          Use this preset
        </button>
      </form>
      {provider ? <SourceForm session={c.get("session")} provider={provider} preset={adapterFor(provider).verificationPreset.type} values={values} errors={errors} /> : null}
    </>,
    status,
  );
}

function revealPage(c: DashboardContext, id: string, name: string, reveal: Reveal, what: "created" | "rotated") {
  const base = publicBaseUrl(c.env, c.req.url);
  const nonce = c.get("secureHeadersNonce");
  return render(
    c,
    { title: name, active: "sources" },
    <div class="card" id="secret-shown">
      <h1>{what === "created" ? `Source ${name} created` : `Secret of ${name} rotated`}</h1>
      {reveal.token || reveal.secret ? <p>Copy it now: it is shown this once.</p> : null}
      <p>Ingest URL — give it to the provider:</p>
      <CopyField id="ingest-url" label="Ingest URL" value={ingestUrl(base, id, reveal.token)} nonce={nonce} />
      {reveal.secret ? (
        <>
          <p>Signing secret:</p>
          <CopyField id="source-secret" label="Source secret" value={reveal.secret} nonce={nonce} />
        </>
      ) : null}
      <p>
        <a href={`/dashboard/sources/${id}`}>Continue to the source →</a>
      </p>
    </div>,
    what === "created" ? 201 : 200,
  );
}
