import type { FC } from "hono/jsx";
import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { deleteDestination, getDestinationRow, openDestination } from "../db/destinations";
import { listSourceSummaries } from "../db/sources";
import { createDestination } from "../destinations/create";
import { rotateSigningSecret } from "../destinations/rotate";
import type { CreateDestinationInput, UpdateDestinationInput } from "../destinations/schemas";
import { destinationDay, destinationStats, type HourBucket } from "../destinations/stats";
import { updateDestinationConfig } from "../destinations/update";
import { notFound } from "../lib/errors";
import { bodyOf, DestinationForm, domainError, schemaErrors, valuesOf, type FieldErrors, type FormValues } from "./destination-form";
import { Badge, ConfirmDelete, CopyField, CsrfField, render, Time } from "./layout";
import type { DashboardContext, DashboardEnv } from "./session";

/**
 * Destinations made and changed from the console, through the same domain functions as the
 * API (create, update, rotate, delete): add, edit, delete with confirmation, rotate the signing
 * secret (shown once), and a page of stats with a server-rendered 24 h chart.
 */
export function registerDestinationEditPages(app: Hono<DashboardEnv>) {
  app.get("/destinations/new", (c) => formPage(c, "create", { ordering: "unordered" }, {}));

  app.post("/destinations", async (c) => {
    const values = (await c.req.parseBody({ all: true })) as FormValues;
    const { body, errors } = bodyOf(values, "create");
    Object.assign(errors, schemaErrors(body, "create"));
    if (Object.keys(errors).length) return formPage(c, "create", values, errors, 400);
    try {
      const saved = await createDestination(c.env, c.get("session").workspaceId, body as CreateDestinationInput);
      return secretPage(c, saved.row.id, saved.row.name ?? saved.row.url, saved.signingSecret!, "created");
    } catch (err) {
      return formPage(c, "create", values, domainError(err), 400);
    }
  });

  app.get("/destinations/:id/edit", async (c) => {
    const row = await getDestinationRow(dbOf(c.env), c.get("session").workspaceId, c.req.param("id"));
    if (!row) throw notFound("destination");
    return formPage(c, "edit", valuesOf(row), {}, 200, row.id);
  });

  app.post("/destinations/:id", async (c) => {
    const id = c.req.param("id");
    const values = (await c.req.parseBody({ all: true })) as FormValues;
    const { body, errors } = bodyOf(values, "edit");
    Object.assign(errors, schemaErrors(body, "edit"));
    if (Object.keys(errors).length) return formPage(c, "edit", values, errors, 400, id);
    try {
      await updateDestinationConfig(c.env, c.get("session").workspaceId, id, body as UpdateDestinationInput);
    } catch (err) {
      return formPage(c, "edit", values, domainError(err), 400, id);
    }
    return c.redirect(`/dashboard/destinations/${id}`, 303);
  });

  app.get("/destinations/:id/delete", async (c) => {
    const session = c.get("session");
    const row = await getDestinationRow(dbOf(c.env), session.workspaceId, c.req.param("id"));
    if (!row) throw notFound("destination");
    return render(
      c,
      { title: "Delete destination", active: "destinations" },
      <ConfirmDelete
        session={session}
        what="destination"
        name={row.name ?? row.url}
        consequence="It receives nothing more; its delivery log stays."
        action={`/dashboard/destinations/${row.id}/delete`}
        back={`/dashboard/destinations/${row.id}`}
      />,
    );
  });

  app.post("/destinations/:id/delete", async (c) => {
    if (!(await deleteDestination(dbOf(c.env), c.get("session").workspaceId, c.req.param("id")))) throw notFound("destination");
    return c.redirect("/dashboard/destinations", 303);
  });

  app.post("/destinations/:id/rotate", async (c) => {
    const saved = await rotateSigningSecret(c.env, c.get("session").workspaceId, c.req.param("id"));
    return secretPage(c, saved.row.id, saved.row.name ?? saved.row.url, saved.signingSecret!, "rotated");
  });

  app.get("/destinations/:id", async (c) => {
    const session = c.get("session");
    const db = dbOf(c.env);
    const row = await getDestinationRow(db, session.workspaceId, c.req.param("id"));
    if (!row) throw notFound("destination");
    const [stats, day] = await Promise.all([destinationStats(db, row.id), destinationDay(db, row.id)]);
    const rate = stats.attempts ? `${Math.round((stats.succeeded / stats.attempts) * 100)}%` : "—";
    return render(
      c,
      { title: row.name ?? row.url, active: "destinations" },
      <>
        <p class="small">
          <a href="/dashboard/destinations">← Destinations</a>
        </p>
        <h1>
          <Badge status={row.status} /> {row.name ?? row.url} <span class="mono small muted">{row.id}</span>
        </h1>
        <p class="mono small">{row.url}</p>
        <div class="actions mb">
          <a href={`/dashboard/destinations/${row.id}/edit`}>Edit</a>
          <form method="post" action={`/dashboard/destinations/${row.id}/test`}>
            <CsrfField session={session} />
            <button type="submit" class="secondary">
              Send test event
            </button>
          </form>
          <form method="post" action={`/dashboard/destinations/${row.id}/rotate`}>
            <CsrfField session={session} />
            <button type="submit" class="secondary">
              Rotate signing secret
            </button>
          </form>
          <a href={`/dashboard/deliveries?destination=${row.id}`}>Deliveries</a>
          <a href={`/dashboard/destinations/${row.id}/delete`} class="push num-bad">
            Delete…
          </a>
        </div>
        <div class="grid">
          <div class="card stat">
            <b>{rate}</b>
            <span>attempts succeeded ({stats.attempts})</span>
          </div>
          <div class="card stat">
            <span>last success</span>
            <div>
              <Time ms={stats.lastSuccessAt} />
            </div>
          </div>
          <div class="card stat" id="last-failure">
            <span>last failure</span>
            <div>
              <Time ms={day.lastFailure?.at} />
            </div>
            <div class="small num-bad">{day.lastFailure ? (day.lastFailure.error ?? `HTTP ${day.lastFailure.statusCode}`) : ""}</div>
          </div>
        </div>
        <h2>Attempts and failures per hour, last 24 h (UTC)</h2>
        <div class="card">
          <HourChart hours={day.hours} />
        </div>
      </>,
    );
  });
}

/** A small bar chart, server-rendered SVG: attempts (grey) and failures (red) per hour. */
export const HourChart: FC<{ hours: HourBucket[] }> = ({ hours }) => {
  const W = 24 * 22;
  const H = 90;
  const top = Math.max(1, ...hours.map((h) => h.attempts));
  const y = (n: number) => Math.round((n / top) * (H - 14));
  const total = hours.reduce((s, h) => s + h.attempts, 0);
  const failed = hours.reduce((s, h) => s + h.failures, 0);
  return (
    <svg id="hour-chart" viewBox={`0 0 ${W} ${H + 14}`} width="100%" height={H + 14} role="img" aria-label={`${total} attempts, ${failed} failed, in the last 24 hours`}>
      <title>{`${total} attempts, ${failed} failed, in the last 24 hours`}</title>
      {hours.map((h, i) => (
        <g>
          <title>{`${new Date(h.at).toISOString().slice(11, 16)}Z: ${h.attempts} attempts, ${h.failures} failed`}</title>
          <rect x={i * 22 + 2} y={H - y(h.attempts)} width={18} height={y(h.attempts)} fill="#c9d1db" />
          <rect x={i * 22 + 2} y={H - y(h.failures)} width={18} height={y(h.failures)} fill="#c62828" />
          {i % 6 === 0 ? (
            <text x={i * 22 + 2} y={H + 12} font-size="10" fill="#5f6b7a">
              {new Date(h.at).toISOString().slice(11, 16)}
            </text>
          ) : null}
        </g>
      ))}
    </svg>
  );
};

async function formPage(c: DashboardContext, mode: "create" | "edit", values: FormValues, errors: FieldErrors, status: 200 | 400 = 200, id?: string) {
  const session = c.get("session");
  const db = dbOf(c.env);
  const sources = await listSourceSummaries(db, session.workspaceId);
  let current;
  if (id) {
    const row = await getDestinationRow(db, session.workspaceId, id);
    if (!row) throw notFound("destination");
    const opened = await openDestination(c.get("keyring"), row);
    current = { headerNames: Object.keys(opened.headers), auth: opened.auth };
  }
  return render(
    c,
    { title: mode === "create" ? "New destination" : "Edit destination", active: "destinations" },
    <>
      <p class="small">
        <a href="/dashboard/destinations">← Destinations</a>
      </p>
      <h1>{mode === "create" ? "New destination" : "Edit destination"}</h1>
      <DestinationForm
        session={session}
        action={mode === "create" ? "/dashboard/destinations" : `/dashboard/destinations/${id}`}
        mode={mode}
        values={values}
        errors={errors}
        sources={sources}
        current={current}
      />
    </>,
    status,
  );
}

function secretPage(c: DashboardContext, id: string, name: string, secret: string, what: "created" | "rotated") {
  return render(
    c,
    { title: "Signing secret", active: "destinations" },
    <div class="card" id="secret-shown">
      <h1>{what === "created" ? `Destination ${name} created` : `Signing secret of ${name} rotated`}</h1>
      <p>
        Copy the signing secret now: it is shown this once.{" "}
        {what === "rotated" ? "The previous secret keeps signing alongside it for 24 hours." : ""}
      </p>
      <CopyField id="signing-secret" label="Signing secret" value={secret} nonce={c.get("secureHeadersNonce")} />
      <p>
        <a href={`/dashboard/destinations/${id}`}>Continue to the destination →</a>
      </p>
    </div>,
    what === "created" ? 201 : 200,
  );
}
