import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { getSourceRow, openSource } from "../db/sources";
import { PROVIDERS, type ProviderName } from "../events/canonical";
import { adapterFor } from "../ingest/providers";
import { listIngestLog } from "../ingest/log";
import { keyringOf, publicBaseUrl } from "../lib/config";
import { ApiError, notFound } from "../lib/errors";
import { listWebhooks, registerWebhooks, removeWebhooks } from "../registration";
import { createSource } from "../sources/create";
import { deleteSourceAndWebhooks } from "../sources/delete";
import { ingestUrl } from "../sources/ingest-url";
import { rotateSourceSecret } from "../sources/rotate";
import { createSourceSchema, type CreateSourceInput } from "../sources/schemas";
import type { Reveal } from "../sources/verification";
import { domainError, type FieldErrors, type FormValues } from "./destination-form";
import { Badge, ConfirmDelete, CopyField, CsrfField, render, Time } from "./layout";
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

  app.get("/sources/:id/delete", async (c) => {
    const session = c.get("session");
    const row = await getSourceRow(dbOf(c.env), session.workspaceId, c.req.param("id"));
    if (!row) throw notFound("source");
    return render(
      c,
      { title: "Delete source", active: "sources" },
      <ConfirmDelete
        session={session}
        what="source"
        name={row.name}
        consequence="Webhooks registered at the provider are unsubscribed first; its events stay."
        action={`/dashboard/sources/${row.id}/delete`}
        back={`/dashboard/sources/${row.id}`}
      />,
    );
  });

  app.post("/sources/:id/delete", async (c) => {
    await deleteSourceAndWebhooks(c.env, c.get("session").workspaceId, c.req.param("id"), { force: false, requestUrl: c.req.url });
    return c.redirect("/dashboard/sources", 303);
  });

  app.post("/sources/:id/register", (c) => providerAction(c, "register"));
  app.post("/sources/:id/unsubscribe", (c) => providerAction(c, "unsubscribe"));

  app.get("/sources/:id", async (c) => {
    const session = c.get("session");
    const db = dbOf(c.env);
    const row = await getSourceRow(db, session.workspaceId, c.req.param("id"));
    if (!row) throw notFound("source");
    const source = await openSource(await keyringOf(c.env), row);
    const registrable = row.provider === "shipstation" || row.provider === "shipengine";
    const [webhooks, log] = await Promise.all([
      registrable ? listWebhooks({ env: c.env, requestUrl: c.req.url }, source, (rows) => ({ data: rows, next_cursor: null })) : undefined,
      listIngestLog(db, session.workspaceId, { sources: [row.id] }, { limit: 20 }),
    ]);
    const base = publicBaseUrl(c.env, c.req.url);
    const url = `${ingestUrl(base, row.id)}${row.verification.type === "url_token" ? "?token=…" : ""}`;
    const message = c.req.query("message");
    return render(
      c,
      { title: row.name, active: "sources" },
      <>
        <p class="small">
          <a href="/dashboard/sources">← Sources</a>
        </p>
        <h1>
          {row.name} <span class="mono small muted">{row.id}</span>
        </h1>
        {message ? (
          <div class={c.req.query("ok") === "1" ? "flash" : "flash error"} role="status" id="provider-message">
            {message.slice(0, 500)}
          </div>
        ) : null}
        <dl class="kv card">
          <dt>Provider</dt>
          <dd>{row.provider}</dd>
          <dt>Verification</dt>
          <dd>{String(row.verification.type)}</dd>
          <dt>Ingest URL</dt>
          <dd>
            <CopyField id="ingest-url" label="Ingest URL" value={url} nonce={c.get("secureHeadersNonce")} />
            {row.verification.type === "url_token" ? <span class="small muted">The token was shown once, when the source was made or rotated.</span> : null}
          </dd>
        </dl>
        <div class="actions mb">
          <form method="post" action={`/dashboard/sources/${row.id}/rotate`}>
            <CsrfField session={session} />
            <button type="submit" class="secondary">
              {row.verification.type === "url_token" ? "Rotate URL token" : "Rotate secret"}
            </button>
          </form>
          <a href={`/dashboard/sources/${row.id}/delete`} class="push num-bad">
            Delete…
          </a>
        </div>
        {registrable ? (
          <>
            <h2>Webhooks at {row.provider}</h2>
            <div class="actions mb">
              <form method="post" action={`/dashboard/sources/${row.id}/register`}>
                <CsrfField session={session} />
                <button type="submit" id="register">
                  {webhooks?.data.length ? "Re-register" : "Register at the provider"}
                </button>
              </form>
              {webhooks?.data.length ? (
                <form method="post" action={`/dashboard/sources/${row.id}/unsubscribe`}>
                  <CsrfField session={session} />
                  <button type="submit" class="danger">
                    Unsubscribe
                  </button>
                </form>
              ) : null}
            </div>
            {webhooks?.warning ? <div class="flash error">{webhooks.warning.message}</div> : null}
            {webhooks && webhooks.data.length ? (
              <table id="webhooks">
                <thead>
                  <tr>
                    <th>Event</th>
                    <th>Registered</th>
                    <th>Status</th>
                    <th>Triggers</th>
                    <th>Last triggered (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {webhooks.data.map((w) => (
                    <tr data-webhook-event={w.event}>
                      <td class="mono">{w.event}</td>
                      <td aria-label={w.registered === null ? "unknown" : w.registered ? "registered" : "not registered"}>
                        {w.registered === null ? "?" : w.registered ? "✓" : "✗"}
                      </td>
                      <td>
                        <Badge status={w.status === "active" ? "ok" : "bad"}>{w.status}</Badge>
                      </td>
                      <td>{w.trigger_count}</td>
                      <td>{w.last_triggered_at ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <div class="card muted">Nothing registered yet.</div>
            )}
          </>
        ) : (
          <p class="muted">Register the ingest URL in {row.provider}'s own dashboard.</p>
        )}
        <h2>Ingest log</h2>
        <p class="small">
          <a href={`/dashboard/sources?source=${row.id}`}>Every request, with filters →</a>
        </p>
        <table>
          <thead>
            <tr>
              <th>At (UTC)</th>
              <th>Result</th>
              <th>Reason</th>
              <th>HTTP</th>
            </tr>
          </thead>
          <tbody>
            {log.data.map((r) => (
              <tr>
                <td>
                  <Time ms={r.at} />
                </td>
                <td>
                  <Badge status={r.result} />
                </td>
                <td>{r.reason ?? "—"}</td>
                <td>{r.httpStatus}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>,
    );
  });
}

/** Register or unsubscribe, then back to the source with the outcome worded as the API words it (never credentials). */
async function providerAction(c: DashboardContext, what: "register" | "unsubscribe") {
  const session = c.get("session");
  const row = await getSourceRow(dbOf(c.env), session.workspaceId, c.req.param("id")!);
  if (!row) throw notFound("source");
  const source = await openSource(await keyringOf(c.env), row);
  const ctx = { env: c.env, requestUrl: c.req.url };
  let message: string;
  let ok = true;
  try {
    if (what === "register") {
      const out = await registerWebhooks(ctx, source, undefined);
      message = `Registered: ${out.webhooks.map((w) => `${w.event} (${w.action})`).join(", ")}`;
    } else {
      const out = await removeWebhooks(ctx, source);
      message = `Unsubscribed ${out.removed} webhook(s).`;
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    ok = false;
    message = `${err.code}: ${err.message}`;
  }
  return c.redirect(`/dashboard/sources/${row.id}?${new URLSearchParams({ message, ok: ok ? "1" : "0" }).toString()}`, 303);
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
