import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { getDestinationRow, type DestinationRow } from "../db/destinations";
import { previewTransform } from "../destinations/transform-preview";
import { ApiError, notFound } from "../lib/errors";
import { CsrfField, pretty, render } from "./layout";
import type { DashboardContext, DashboardEnv, Session } from "./session";

/**
 * The console's transform preview: a destination's body for a stored event, with its saved
 * transform or one typed here to try before saving (the API's
 * `POST /v1/destinations/:id/transform/preview`, same limits). Saving stays with the API.
 */
const PreviewForm = (p: { session: Session; row: DestinationRow; eventId: string; transform: string }) => (
  <form method="post" action={`/dashboard/destinations/${p.row.id}/transform`} class="card">
    <CsrfField session={p.session} />
    <label>
      Event id
      <input name="event_id" class="mono" required value={p.eventId} placeholder="evt_…" />
    </label>
    <label>
      JSONata expression (empty: the canonical event)
      <textarea name="transform" class="mono" rows={6}>
        {p.transform}
      </textarea>
    </label>
    <button type="submit">Preview</button>
  </form>
);

export function registerTransformPreviewPage(app: Hono<DashboardEnv>) {
  const load = async (env: Env, session: Session, id: string) => {
    const row = await getDestinationRow(dbOf(env), session.workspaceId, id);
    if (!row) throw notFound("destination");
    return row;
  };
  const page = (c: DashboardContext, row: DestinationRow, form: { eventId: string; transform: string }, result?: { body?: unknown; error?: string }) =>
    render(
      c,
      { title: "Transform preview", active: "destinations" },
      <>
        <p class="small">
          <a href={`/dashboard/destinations#${row.id}`}>← Destinations</a>
        </p>
        <h1>Transform preview: {row.name ?? row.url}</h1>
        <PreviewForm session={c.get("session")} row={row} eventId={form.eventId} transform={form.transform} />
        {result?.error ? (
          <div class="flash error" role="status" id="preview-error">
            {result.error}
          </div>
        ) : null}
        {result && !result.error ? <pre id="preview-body">{pretty(result.body)}</pre> : null}
      </>,
    );

  app.get("/destinations/:id/transform", async (c) => {
    const row = await load(c.env, c.get("session"), c.req.param("id"));
    return page(c, row, { eventId: c.req.query("event_id") ?? "", transform: row.transform ?? "" });
  });

  app.post("/destinations/:id/transform", async (c) => {
    const row = await load(c.env, c.get("session"), c.req.param("id"));
    const form = await c.req.parseBody();
    const eventId = typeof form.event_id === "string" ? form.event_id.trim() : "";
    const transform = typeof form.transform === "string" ? form.transform : "";
    try {
      // An empty expression previews the body without one (null), as a destination without a transform gets it.
      const body = await previewTransform(c.env, row.workspaceId, row.id, { event_id: eventId, transform: transform.trim() ? transform : null });
      return page(c, row, { eventId, transform }, { body });
    } catch (err) {
      if (err instanceof ApiError && (err.code === "invalid_transform" || err.code === "not_found")) {
        return page(c, row, { eventId, transform }, { error: err.message });
      }
      throw err;
    }
  });
}
