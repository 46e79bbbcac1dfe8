import { configGuardStatement, isStaleConfig } from "../db/config-version";
import { enqueueDeliveries, type DeliveryMessage } from "../delivery/messages";
import { jsonColumns, jsonRowsStatements } from "../db/json-rows";
import { upsertIngestLogStatements, type IngestLogEntry } from "../ingest/ingest-log";

/** An `events` row as the commit writes it (D1 column names). */
export interface EventRow {
  id: string;
  workspace_id: string;
  source_id: string;
  type: string;
  livemode: number;
  order_key: string | null;
  order_reference: string | null;
  tracking_number: string | null;
  sequence: number | null;
  dedupe_key: string;
  body: string;
  occurred_at: number;
  created_at: number;
}

export interface PayloadRow {
  event_id: string;
  workspace_id: string;
  raw: string;
}

/** A new `deliveries` row: pending, no attempt yet; `enqueued_at` null while its destination holds it. */
export interface NewDeliveryRow {
  id: string;
  workspace_id: string;
  event_id: string;
  destination_id: string;
  event_type: string;
  attempt_limit: number;
  created_at: number;
  enqueued_at: number | null;
  order_key: string | null;
  sequence: number | null;
}

/** What one commit writes to D1 and then puts on the queue. */
export interface CommitWrite {
  workspaceId: string;
  /** The config version its fan-out was computed from; null = no guard. */
  configVersion: number | null;
  events: EventRow[];
  payloads: PayloadRow[];
  deliveries: NewDeliveryRow[];
  logs: IngestLogEntry[];
  messages: DeliveryMessage[];
}

/** Test seam of the order object: make the next write fail after D1 or after the queue. */
export type WriteFault = "after_d1" | "after_queue";

interface Waiting {
  write: CommitWrite;
  resolve: (outcome: "written" | "stale_config") => void;
  reject: (err: unknown) => void;
}

/** Writes in one flush: a D1 batch of a few statements and one queue send, far inside their limits. */
const MAX_WRITES_PER_FLUSH = 32;
/** The JSON size past which a payload gets its own statement. */
const LARGE_PAYLOAD_CHARS = 256 * 1024;

/**
 * Group commit for an order object. The commits of different orders that meet in one object
 * are written together: while one flush (a D1 batch, then one queue send) is in flight, the
 * commits that arrive wait and go in the next flush, all in one D1 batch with one multi-row
 * statement per table and one queue send. An idle object flushes at once, so this adds no
 * wait at low load; under load it turns N commits into one D1 write transaction — what a
 * single-writer D1 database needs most.
 *
 * A flush is all or nothing (a D1 batch is one transaction): when one of several writes in a
 * flush fails, each is written again alone, so only the one at fault fails (a stale config
 * version among them is answered `stale_config`, not thrown). A write resolves only after its
 * rows are committed and its messages are on the queue.
 */
export class GroupCommit {
  private waiting: Waiting[] = [];
  private flushing = false;

  constructor(
    private readonly env: Env,
    /** Consulted at each step; throws to inject a fault (tests). */
    private readonly faultAt: (step: WriteFault) => void = () => undefined,
  ) {}

  write(write: CommitWrite): Promise<"written" | "stale_config"> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ write, resolve, reject });
      if (!this.flushing) void this.flushAll();
    });
  }

  private async flushAll() {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) await this.flush(this.waiting.splice(0, MAX_WRITES_PER_FLUSH));
    } finally {
      this.flushing = false;
    }
  }

  private async flush(group: Waiting[]) {
    try {
      await this.env.DB.batch(writeStatements(this.env.DB, group.map((w) => w.write)));
    } catch (err) {
      if (group.length > 1) {
        for (const w of group) await this.flush([w]);
        return;
      }
      if (isStaleConfig(err)) group[0]!.resolve("stale_config");
      else group[0]!.reject(err);
      return;
    }
    try {
      this.faultAt("after_d1");
      await enqueueDeliveries(
        this.env.DELIVERIES,
        group.flatMap((w) => w.write.messages),
      );
      this.faultAt("after_queue");
    } catch (err) {
      for (const w of group) w.reject(err);
      return;
    }
    for (const w of group) w.resolve("written");
  }
}

/**
 * The D1 statements of a flush: first the config guards (a fan-out from a stale cached config
 * rolls the whole batch back, src/db/config-version.ts), then one statement per table with
 * every write's rows. Every insert is idempotent (ids derive from the event), so a provider
 * retry of a commit that failed after D1 rewrites nothing; `ON CONFLICT DO NOTHING` (not
 * `OR IGNORE`) so a row that breaks any other rule fails the batch instead of vanishing.
 */
export function writeStatements(db: D1Database, writes: CommitWrite[]): D1PreparedStatement[] {
  const guards = new Map<string, { workspaceId: string; version: number }>();
  for (const w of writes) {
    if (w.configVersion !== null) guards.set(`${w.workspaceId}:${w.configVersion}`, { workspaceId: w.workspaceId, version: w.configVersion });
  }
  const payloads = writes.flatMap((w) => w.payloads);
  const small = payloads.filter((p) => p.raw.length <= LARGE_PAYLOAD_CHARS);
  const large = payloads.filter((p) => p.raw.length > LARGE_PAYLOAD_CHARS);
  return [
    ...[...guards.values()].map((g) => configGuardStatement(db, g.workspaceId, g.version)),
    ...jsonRowsStatements(db, INSERT_EVENTS, writes.flatMap((w) => w.events)),
    ...jsonRowsStatements(db, INSERT_PAYLOADS, small),
    // A payload near the 1 MiB ingest limit is bound as itself: escaped into a JSON array it
    // could pass D1's 2 MB value limit.
    ...large.map((p) =>
      db.prepare("INSERT INTO event_payloads (event_id, workspace_id, raw) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING").bind(p.event_id, p.workspace_id, p.raw),
    ),
    ...jsonRowsStatements(db, INSERT_DELIVERIES, writes.flatMap((w) => w.deliveries)),
    ...upsertIngestLogStatements(
      db,
      writes.flatMap((w) => w.logs),
    ),
  ];
}

const EVENT_COLUMNS = [
  "id", "workspace_id", "source_id", "type", "livemode", "order_key", "order_reference",
  "tracking_number", "sequence", "dedupe_key", "body", "occurred_at", "created_at",
];
const INSERT_EVENTS = `INSERT INTO events (${EVENT_COLUMNS.join(", ")})
  SELECT ${jsonColumns(EVENT_COLUMNS)} FROM json_each(?1) r WHERE true ON CONFLICT DO NOTHING`;

const PAYLOAD_COLUMNS = ["event_id", "workspace_id", "raw"];
const INSERT_PAYLOADS = `INSERT INTO event_payloads (${PAYLOAD_COLUMNS.join(", ")})
  SELECT ${jsonColumns(PAYLOAD_COLUMNS)} FROM json_each(?1) r WHERE true ON CONFLICT DO NOTHING`;

const DELIVERY_COLUMNS = ["id", "workspace_id", "event_id", "destination_id", "event_type", "attempt_limit", "enqueued_at", "order_key", "sequence"];
const INSERT_DELIVERIES = `INSERT INTO deliveries (${DELIVERY_COLUMNS.join(", ")},
    status, attempt_count, next_attempt_at, created_at, updated_at)
  SELECT ${jsonColumns(DELIVERY_COLUMNS)}, 'pending', 0, r.value ->> '$.created_at', r.value ->> '$.created_at', r.value ->> '$.created_at'
    FROM json_each(?1) r WHERE true ON CONFLICT DO NOTHING`;
