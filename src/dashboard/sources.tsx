import type { Hono } from "hono";
import { checkedValues, values } from "../lib/filters";
import { listIngestLog, type IngestLogFilter } from "../ingest/log";
import { dbOf } from "../db/client";
import { INGEST_RESULTS } from "../db/schema";
import { publicBaseUrl } from "../lib/config";
import { ingestUrl } from "../sources/ingest-url";
import { dateInputValue, parseDateInput } from "./events";
import { Badge, render, Time } from "./layout";
import { listSourceSummaries } from "../db/sources";
import type { DashboardEnv } from "./session";

const PAGE_SIZE = 50;

/** The ingest URL as the API shows it; a url_token source's token was shown once, at creation. */
function shownIngestUrl(base: string, source: { id: string; verification: Record<string, unknown> }): string {
  return `${ingestUrl(base, source.id)}${source.verification.type === "url_token" ? "?token=…" : ""}`;
}

/** The log row's detail (client ip, body size, fetched resource) as one short line. */
function detailText(detail: Record<string, unknown> | null): string {
  const parts = Object.entries(detail ?? {})
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(" · ") : "—";
}

export function registerSourcePages(app: Hono<DashboardEnv>) {
  app.get("/sources", async (c) => {
    const ws = c.get("session").workspaceId;
    const db = dbOf(c.env);
    const q = c.req.query();
    const filter: IngestLogFilter = {
      sources: values(q.source),
      results: checkedValues("result", q.result, INGEST_RESULTS),
      since: parseDateInput("since", q.since),
      until: parseDateInput("until", q.until),
    };
    const cursor = q.cursor?.trim() || undefined;
    const [sources, log] = await Promise.all([listSourceSummaries(db, ws), listIngestLog(db, ws, filter, { limit: PAGE_SIZE, cursor })]);
    const byId = new Map(sources.map((s) => [s.id, s]));
    const base = publicBaseUrl(c.env, c.req.url);
    const kept: Record<string, string> = {};
    for (const k of ["source", "result", "since", "until"]) if (q[k]?.trim()) kept[k] = q[k]!.trim();
    const next = log.next_cursor ? new URLSearchParams({ ...kept, cursor: log.next_cursor }).toString() : null;

    return render(
      c,
      { title: "Sources", active: "sources" },
      <>
        <h1>Sources</h1>
        <p>
          <a href="/dashboard/sources/new">+ New source</a>
        </p>
        <p class="muted">Where providers send. Give each provider its ingest URL; every request it makes is logged below.</p>
        {sources.length === 0 ? (
          <div class="card muted">
            No sources yet. <a href="/dashboard/sources/new">Create one</a> (or <span class="mono">POST /v1/sources</span>).
          </div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Provider</th>
                <th>Verification</th>
                <th>Ingest URL</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr data-source-id={s.id}>
                  <td>
                    <a href={`/dashboard/sources/${s.id}`}>
                      <b>{s.name}</b>
                    </a>
                    <div class="mono small muted">{s.id}</div>
                  </td>
                  <td>{s.provider}</td>
                  <td>{String(s.verification.type ?? "—")}</td>
                  <td class="mono small">{shownIngestUrl(base, s)}</td>
                  <td>
                    <Time ms={s.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}

        <h2>Ingest log</h2>
        <form class="filters" method="get" action="/dashboard/sources">
          <label>
            Source
            <select name="source">
              <option value="">any</option>
              {sources.map((s) => (
                <option value={s.id} selected={kept.source === s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Result
            <select name="result">
              <option value="">any</option>
              {INGEST_RESULTS.map((r) => (
                <option value={r} selected={kept.result === r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label>
            From (UTC)
            <input type="datetime-local" name="since" value={dateInputValue(filter.since)} />
          </label>
          <label>
            To (UTC)
            <input type="datetime-local" name="until" value={dateInputValue(filter.until)} />
          </label>
          <button type="submit">Filter</button>
          <a class="small" href="/dashboard/sources">
            Clear
          </a>
        </form>
        {log.data.length === 0 ? (
          <div class="card muted">No requests match.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>At (UTC)</th>
                <th>Source</th>
                <th>Result</th>
                <th>Reason</th>
                <th>HTTP</th>
                <th>Request</th>
                <th>Events</th>
              </tr>
            </thead>
            <tbody>
              {log.data.map((r) => (
                <tr data-ingest-id={r.id}>
                  <td>
                    <Time ms={r.at} />
                  </td>
                  <td>{byId.get(r.sourceId)?.name ?? <span class="mono small">{r.sourceId}</span>}</td>
                  <td>
                    <Badge status={r.result} />
                  </td>
                  <td class="mono">{r.reason ?? <span class="muted">—</span>}</td>
                  <td>{r.httpStatus}</td>
                  <td class="mono small">{detailText(r.detail)}</td>
                  <td>
                    {(r.eventIds ?? []).map((id) => (
                      <>
                        <a class="mono small" href={`/dashboard/events/${id}`}>
                          {id}
                        </a>{" "}
                      </>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div class="pager">{next ? <a href={`/dashboard/sources?${next}`}>Older →</a> : null}</div>
      </>,
    );
  });
}
