/**
 * Counters of the billable operations the Worker performs, kept per isolate. Only the
 * benchmark's entry (scripts/bench/worker/bench-entry.ts) and the op-count tests create and
 * read them; nothing in src/ imports this folder.
 *
 * Each invocation's bindings are wrapped with the scope they belong to, so the ACK path and the
 * work done after it are counted apart:
 * - `ingest`: the ingest request while it is open — what the provider's 2xx waits on;
 * - `ingest_after`: calls the ingest request makes after its response is out (`waitUntil`);
 * - `order_do`: the order object's own storage (its SQLite rows and alarm calls) and requests;
 * - `outbox_flush`: D1 and queue calls made by the order object. Only the outbox makes them
 *   (src/orders/outbox.ts, started in the background and never awaited by `commit`), so they
 *   are never on the ACK path; the commit RPC that precedes them is counted in `ingest`;
 * - `delivery`: the queue consumer; `retention`: D1's purge when the bench runs it (`/__bench/retention`);
 *   `other`: the API, cron, jobs.
 */
export type OpScope = "ingest" | "ingest_after" | "order_do" | "outbox_flush" | "delivery" | "retention" | "other";

/** Statements and rows by table, keyed `d1:<table>` or `do:<table>`. */
export interface TableCounts {
  statements: number;
  rowsRead: number;
  rowsWritten: number;
}

/**
 * The table a statement reads or writes first (its target for writes), for the per-table
 * tallies. DDL (`CREATE TABLE IF NOT EXISTS …` in an object's constructor) counts as `ddl`.
 */
export function tableOf(sql: string): string {
  if (/^\s*(create|drop|alter)\b/i.test(sql)) return "ddl";
  const m =
    /^\s*(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)\s+["`]?(\w+)/i.exec(sql) ??
    /\bfrom\s+["`]?(\w+)/i.exec(sql) ??
    /^\s*(\w+)/.exec(sql);
  return (m?.[1] ?? "unknown").toLowerCase();
}

export interface ScopeCounts {
  /** Worker invocations: HTTP requests and queue consumer batches. */
  workerFetches: number;
  queueBatches: number;
  /** Calls on a Durable Object stub (RPC methods and fetch), and their wall time seen by the caller. */
  durableObjectRequests: number;
  durableObjectWallMs: number;
  /** SQL statements run by a Durable Object on its own storage, with the rows SQLite reports. */
  doSqlStatements: number;
  doSqlRowsRead: number;
  doSqlRowsWritten: number;
  /** getAlarm / setAlarm / deleteAlarm calls; setAlarm alone (billed as one row written). */
  doAlarmCalls: number;
  doSetAlarms: number;
  /** D1: calls that travel to the database (a batch is one), statements, rows from `meta`. */
  d1RoundTrips: number;
  d1Statements: number;
  d1ReadStatements: number;
  d1WriteStatements: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  /** Statements run with `.raw()`, which reports no row counts. */
  d1StatementsWithoutMeta: number;
  /** Wall time the caller spent waiting on D1, summed over calls. */
  d1WallMs: number;
  /** Queues: producer calls, messages and their bytes; consumer acks and retries. */
  queueSendCalls: number;
  queueMessagesSent: number;
  queueBytesSent: number;
  queueMessagesReceived: number;
  queueAcks: number;
  queueRetries: number;
  /** Wall time the producer spent waiting on send/sendBatch. */
  queueSendWallMs: number;
  /** Outbound `fetch()` calls (customer endpoints, provider APIs). */
  fetchSubrequests: number;
  tables: Record<string, TableCounts>;
}

type NumericKey = Exclude<keyof ScopeCounts, "tables">;

export function countTable(counts: ScopeCounts, key: string, rowsRead: number, rowsWritten: number, statements = 1) {
  const t = (counts.tables[key] ??= { statements: 0, rowsRead: 0, rowsWritten: 0 });
  t.statements += statements;
  t.rowsRead += rowsRead;
  t.rowsWritten += rowsWritten;
}

const SCOPES: OpScope[] = ["ingest", "ingest_after", "order_do", "outbox_flush", "delivery", "retention", "other"];

function emptyScope(): ScopeCounts {
  return {
    workerFetches: 0,
    queueBatches: 0,
    durableObjectRequests: 0,
    durableObjectWallMs: 0,
    doSqlStatements: 0,
    doSqlRowsRead: 0,
    doSqlRowsWritten: 0,
    doAlarmCalls: 0,
    doSetAlarms: 0,
    d1RoundTrips: 0,
    d1Statements: 0,
    d1ReadStatements: 0,
    d1WriteStatements: 0,
    d1RowsRead: 0,
    d1RowsWritten: 0,
    d1StatementsWithoutMeta: 0,
    d1WallMs: 0,
    queueSendCalls: 0,
    queueMessagesSent: 0,
    queueBytesSent: 0,
    queueMessagesReceived: 0,
    queueAcks: 0,
    queueRetries: 0,
    queueSendWallMs: 0,
    fetchSubrequests: 0,
    tables: {},
  };
}

/** A SQLite cursor whose row counts are final only once it has been read to the end. */
interface PendingCursor {
  scope: OpScope;
  table: string;
  cursor: { readonly rowsRead: number; readonly rowsWritten: number };
}

export class OpCounter {
  private readonly scopes = new Map<OpScope, ScopeCounts>(SCOPES.map((s) => [s, emptyScope()]));
  private cursors: PendingCursor[] = [];

  scope(name: OpScope): ScopeCounts {
    return this.scopes.get(name)!;
  }

  /** Durable Object SQL cursors are summed when a snapshot is taken, after they were consumed. */
  trackCursor(scope: OpScope, table: string, cursor: PendingCursor["cursor"]) {
    this.cursors.push({ scope, table, cursor });
  }

  snapshot(): Record<OpScope | "total", ScopeCounts> {
    for (const { scope, table, cursor } of this.cursors) {
      const s = this.scope(scope);
      s.doSqlRowsRead += cursor.rowsRead;
      s.doSqlRowsWritten += cursor.rowsWritten;
      countTable(s, `do:${table}`, cursor.rowsRead, cursor.rowsWritten, 0);
    }
    this.cursors = [];
    const total = emptyScope();
    const out = {} as Record<OpScope | "total", ScopeCounts>;
    for (const name of SCOPES) {
      const s = this.scope(name);
      out[name] = { ...s, tables: structuredClone(s.tables) };
      for (const key of Object.keys(total) as (keyof ScopeCounts)[]) {
        if (key !== "tables") total[key as NumericKey] += s[key as NumericKey];
      }
      for (const [table, t] of Object.entries(s.tables)) countTable(total, table, t.rowsRead, t.rowsWritten, t.statements);
    }
    out.total = total;
    return out;
  }

  /** Zeroes the counters in place: wrappers made earlier keep counting into the same objects. */
  reset() {
    for (const s of this.scopes.values()) Object.assign(s, emptyScope());
    this.cursors = [];
  }
}

/**
 * The counts of one request: its `open` scope until its response is out, then `after`.
 * The wrappers made for the request keep this object, so a call's scope is read when it is made.
 */
export function requestScope(counter: OpCounter, open: OpScope, after: OpScope): { counts: ScopeCounts; close(): void } {
  let current = counter.scope(open);
  const counts = new Proxy({} as ScopeCounts, {
    get: (_t, prop) => Reflect.get(current, prop),
    set: (_t, prop, value) => Reflect.set(current, prop, value),
  });
  return {
    counts,
    close() {
      current = counter.scope(after);
    },
  };
}

/** One counter per isolate: the Worker and its Durable Objects share it when they share an isolate (always, locally). */
export const opCounter = new OpCounter();
