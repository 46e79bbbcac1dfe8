import { retentionRows, rowsPerEvent } from "./report-edge.mjs";

const fmt = (n, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? "–" : Number(n).toFixed(digits));

/**
 * BENCHMARKS.md's "Billable operations per event (counted)": every counted operation per event
 * (alone, three destinations, a duplicate, the burst's average), where each happens, and the
 * rows written by table. `per` holds the per-event figures of scripts/bench/report.mjs perEvent.
 */
export function operationsSection(ops, per) {
  const { one, three, dup, burst } = per;
  const hotOne = ops.one_destination.counts;
  const lines = [];
  const w = (s = "") => lines.push(s);
  w("## Billable operations per event (counted)");
    w();
    w("Counted, not estimated: `npm run bench` runs the same Worker once more through `scripts/bench/worker/bench-entry.ts`, which wraps");
    w("every D1, Queue and Durable Object binding in counting proxies (rows from D1's `meta.rows_read` / `rows_written`, SQLite's");
    w("`rowsRead` / `rowsWritten` for the object's own storage) and serves the counters at `/__bench/ops`. Production never loads it.");
    w();
    w(`| per event | 1 destination (new order) | 3 destinations | duplicate callback | burst of ${ops.burst.events} over ${ops.burst.orders} orders, 1 destination (average) |`);
    w("|---|---|---|---|---|");
    const row = (label, key, digits = 1) => w(`| ${label} | ${fmt(one[key], digits)} | ${fmt(three[key], digits)} | ${fmt(dup[key], digits)} | ${fmt(burst[key], digits)} |`);
    row("Worker requests: ingest HTTP", "workerFetches", 0);
    row("Worker requests: queue consumer invocations", "queueBatches", 2);
    row("Durable Object requests (RPC calls)", "doRequests", 0);
    row("Durable Object wall time per event, ms (local)", "doWallMs", 1);
    row("Durable Object SQL statements", "doSqlStatements", 1);
    row("Durable Object SQLite rows read", "doRowsRead", 1);
    row("Durable Object SQLite rows written", "doRowsWritten", 1);
    row("Durable Object alarm calls (getAlarm + setAlarm)", "doAlarmCalls", 1);
    row("… of which setAlarm (billed as a row written)", "doSetAlarms", 1);
    row("D1 round trips (a batch is one)", "d1RoundTrips", 1);
    row("D1 statements", "d1Statements", 1);
    row("… of which reads", "d1ReadStatements", 1);
    row("… of which writes", "d1WriteStatements", 1);
    row("D1 rows read", "d1RowsRead", 1);
    row("D1 rows written (table + index rows)", "d1RowsWritten", 1);
    row("D1 wall time per event, ms (local)", "d1WallMs", 1);
    row("queue send calls", "queueSendCalls", 2);
    row("queue messages", "queueMessages", 1);
    row("queue message size, bytes", "queueBytes", 0);
    row("queue operations billed (3 per message + retries)", "queueOperations", 1);
    row("outbound fetch subrequests", "fetchSubrequests", 1);
    w();
    w("Where they happen, for the one-destination event (`ingest`: while the ingest request is open, the ACK path; `after 2xx`: its `waitUntil`; `outbox flush`: the order object's D1 and queue calls, made in the background after its commit answered):");
    w();
    w("| | ingest (ACK path) | after 2xx | order object's storage | outbox flush | delivery consumer |");
    w("|---|---|---|---|---|---|");
    const scopes = ["ingest", "ingest_after", "order_do", "outbox_flush", "delivery"].map((k) => hotOne[k] ?? null);
    const cells = (fn) => scopes.map((c) => (c ? fn(c) : "–")).join(" | ");
    w(`| DO requests / caller's wait, ms | ${cells((c) => `${c.durableObjectRequests} / ${c.durableObjectWallMs}`)} |`);
    w(`| DO SQL statements / rows written / setAlarm | ${cells((c) => `${c.doSqlStatements} / ${c.doSqlRowsWritten} / ${c.doSetAlarms}`)} |`);
    w(`| D1 round trips | ${cells((c) => c.d1RoundTrips)} |`);
    w(`| D1 statements read / write | ${cells((c) => `${c.d1ReadStatements} / ${c.d1WriteStatements}`)} |`);
    w(`| D1 rows read / written | ${cells((c) => `${c.d1RowsRead} / ${c.d1RowsWritten}`)} |`);
    w(`| D1 wait, ms (local) | ${cells((c) => c.d1WallMs)} |`);
    w(`| queue sends / wait, ms | ${cells((c) => `${c.queueSendCalls} / ${c.queueSendWallMs}`)} |`);
    w();
    w(`Rows written by table and kind, per event: D1 counts an index entry as a row written; \`do:\` is the order object's own SQLite, where \`setAlarm\` is billed as a row written too. Together: **${fmt(rowsPerEvent(burst), 1)} rows per event in the burst, ${fmt(rowsPerEvent(one), 1)} for an event alone** (an event alone may open a new object: its \`CREATE TABLE\`s and first alarm).`);
    w();
    w(`| table | statements, alone | rows read, alone | rows written, alone | rows written per event, burst of ${ops.burst.events} |`);
    w("|---|---|---|---|---|");
    const burstTables = ops.burst.counts.total.tables;
    const alarmRow = { statements: hotOne.total.doSetAlarms, rowsRead: 0, rowsWritten: hotOne.total.doSetAlarms };
    const tables = { ...hotOne.total.tables, "do:setAlarm": alarmRow };
    const burstWritten = (name) => (name === "do:setAlarm" ? ops.burst.counts.total.doSetAlarms : burstTables[name]?.rowsWritten ?? 0) / ops.burst.events;
    for (const name of Object.keys(burstTables)) tables[name] ??= { statements: 0, rowsRead: 0, rowsWritten: 0 };
    for (const [table, t] of Object.entries(tables).sort((a, b) => burstWritten(b[0]) - burstWritten(a[0]) || b[1].rowsWritten - a[1].rowsWritten || a[0].localeCompare(b[0]))) {
      w(`| \`${table}\` | ${t.statements} | ${t.rowsRead} | ${t.rowsWritten} | ${fmt(burstWritten(table), 2)} |`);
    }
    w();
  const later = retentionRows(ops);
  if (later) {
    w();
    w(`Rows written later, when retention removes what an event left (RETENTION_DAYS after it; counted by running it a day past due on the counting relay: D1's purge of every workspace, ${later.purged.events} events, and the expiry of the burst's ${later.objects} order objects, ${later.dedupeRows} dedupe rows). D1 reports a delete as one row written, its index entries included; the per-event figures above leave these out, as the issue's baseline did. **${fmt(later.perEvent, 1)} rows per event** (D1 ${fmt(later.d1PerEvent, 1)} + object ${fmt(later.doPerEvent, 1)}):`);
    w();
    w("| table | rows written by retention, per event |");
    w("|---|---|");
    for (const [table, v] of later.byTable) w(`| \`${table}\` | ${fmt(v, 2)} |`);
    w();
  }
  return lines;
}
