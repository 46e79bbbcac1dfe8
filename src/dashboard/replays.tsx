import type { Hono } from "hono";
import { raw } from "hono/html";
import { dbOf } from "../db/client";
import { getDestinationRow } from "../db/destinations";
import { createReplay, getReplayProgress } from "../delivery/replay";
import { ApiError, notFound } from "../lib/errors";
import { parseDateInput } from "./events";
import { formatTime, render } from "./layout";
import type { DashboardEnv } from "./session";

/** A replay's progress as `GET /v1/replays/:id` reports it, plus what it was asked for. */
interface ReplayView {
  id: string;
  destination_id: string | null;
  total: number;
  sent: number;
  succeeded: number;
  failed: number;
  done: boolean;
  /** A range replay's status; null for a bulk resend. */
  status: string | null;
  since: number | null;
  until: number | null;
}

async function replayView(env: Env, workspaceId: string, id: string): Promise<ReplayView | undefined> {
  const found = await getReplayProgress(env, workspaceId, id);
  if (!found) return undefined;
  const { replay, filter, progress } = found;
  return {
    id: replay.id,
    destination_id: replay.destinationId,
    ...progress,
    status: filter?.status ?? null,
    since: filter?.since ?? null,
    until: filter?.until ?? null,
  };
}

/**
 * The progress bar's script: polls the page's JSON twin once a second until the replay is
 * done (and gives up after a minute of errors: a signed-out session, a network gone). A
 * constant (no data in it), allowed by the page's CSP nonce.
 */
const POLL_SCRIPT = `
(function () {
  var root = document.getElementById("replay");
  if (!root) return;
  var url = root.getAttribute("data-progress-url");
  var bar = document.getElementById("replay-bar");
  var errors = 0;
  function set(id, v) { var el = document.getElementById(id); if (el) el.textContent = String(v); }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (p) {
        bar.max = Math.max(p.total, 1);
        bar.value = p.total === 0 ? 1 : p.succeeded + p.failed;
        set("replay-sent", p.sent); set("replay-succeeded", p.succeeded); set("replay-failed", p.failed); set("replay-total", p.total);
        var state = document.getElementById("replay-state");
        state.textContent = p.done ? "done" : "running";
        state.className = "badge " + (p.done ? "s-succeeded" : "s-retrying");
        root.setAttribute("data-done", p.done ? "true" : "false");
        errors = 0;
        if (!p.done) setTimeout(tick, 1000);
      })
      .catch(function () { if (++errors < 20) setTimeout(tick, 3000); });
  }
  if (root.getAttribute("data-done") !== "true") setTimeout(tick, 500);
})();
`;

export function registerReplayPages(app: Hono<DashboardEnv>) {
  // "Resend all failed in range" of one destination: a replay, then its progress page.
  app.post("/destinations/:id/replay", async (c) => {
    const session = c.get("session");
    const dest = await getDestinationRow(dbOf(c.env), session.workspaceId, c.req.param("id"));
    if (!dest) throw notFound("destination");
    const form = await c.req.parseBody();
    const text = (k: string) => (typeof form[k] === "string" ? (form[k] as string) : undefined);
    const since = parseDateInput("since", text("since"));
    const until = parseDateInput("until", text("until"));
    if (since !== undefined && until !== undefined && since >= until) {
      throw new ApiError(400, "invalid_request", "until: must be after since");
    }
    const status = text("status") === "failed" || text("status") === undefined ? "failed" : undefined;
    if (!status) throw new ApiError(400, "invalid_request", "status: only failed deliveries can be resent in bulk here");
    // The same replay as `POST /v1/destinations/:id/replay` (src/delivery/replay.ts).
    const replay = await createReplay(c.env, {
      workspaceId: session.workspaceId,
      destinationId: dest.id,
      filter: { status, since: since ?? null, until: until ?? null },
    });
    if (replay.total === 0) return c.redirect(`/dashboard/destinations?flash=replay_none#${dest.id}`, 303);
    return c.redirect(`/dashboard/replays/${replay.id}`, 303);
  });

  app.get("/replays/:id/progress", async (c) => {
    const view = await replayView(c.env, c.get("session").workspaceId, c.req.param("id"));
    if (!view) throw notFound("replay");
    return c.json(view);
  });

  app.get("/replays/:id", async (c) => {
    const session = c.get("session");
    const progress = await replayView(c.env, session.workspaceId, c.req.param("id"));
    if (!progress) throw notFound("replay");
    const dest = progress.destination_id ? await getDestinationRow(dbOf(c.env), session.workspaceId, progress.destination_id) : undefined;
    const nonce = c.get("secureHeadersNonce");
    return render(
      c,
      {
        title: `Replay ${progress.id}`,
        active: "destinations",
        head: progress.done ? undefined : (
          <noscript>
            <meta http-equiv="refresh" content="2" />
          </noscript>
        ),
      },
      <>
        <p class="small">
          {progress.destination_id ? <a href="/dashboard/destinations">← Destinations</a> : <a href="/dashboard/deliveries">← Deliveries</a>}
        </p>
        <h1>
          {progress.destination_id ? "Resending failed deliveries" : "Resending deliveries"} <span class="mono small muted">{progress.id}</span>
        </h1>
        <ReplayCard progress={progress} destinationName={dest?.name ?? dest?.url ?? progress.destination_id ?? "every matching destination"} />
        <script nonce={nonce}>{raw(POLL_SCRIPT)}</script>
      </>,
    );
  });
}

function ReplayCard({ progress: p, destinationName }: { progress: ReplayView; destinationName: string }) {
  const finished = p.succeeded + p.failed;
  return (
    <div
      class="card"
      id="replay"
      data-progress-url={`/dashboard/replays/${p.id}/progress`}
      data-done={p.done ? "true" : "false"}
    >
      <p>
        {p.destination_id ? (
          <>
            To <b>{destinationName}</b>
          </>
        ) : (
          <>The deliveries picked, each to its own destination</>
        )}
        {p.since !== null || p.until !== null ? (
          <span class="muted">
            {" "}
            · {p.status} deliveries created {p.since !== null ? `from ${formatTime(p.since)} ` : ""}
            {p.until !== null ? `until ${formatTime(p.until)}` : ""}
          </span>
        ) : null}
      </p>
      <progress id="replay-bar" max={Math.max(p.total, 1)} value={p.total === 0 ? 1 : finished} />
      <p>
        <span id="replay-state" class={`badge ${p.done ? "s-succeeded" : "s-retrying"}`}>
          {p.done ? "done" : "running"}
        </span>{" "}
        Sent <b id="replay-sent">{p.sent}</b> of <b id="replay-total">{p.total}</b> · succeeded <b id="replay-succeeded">{p.succeeded}</b> · failed{" "}
        <b id="replay-failed">{p.failed}</b>
      </p>
      <p class="small muted">
        Each resent delivery gets one more attempt now; its outcome shows on the event's page like any attempt.{" "}
        <a href={`/dashboard/events?delivery_status=failed`}>Failed events</a>
      </p>
    </div>
  );
}
