import { insertNewDeliveriesStatements, type NewDelivery } from "../db/deliveries-create";
import { insertEventsStatements, insertPayloadsStatements, type EventPayloadRow, type EventRow } from "../db/events";
import { upsertIngestLogStatements, type IngestLogEntry } from "../db/ingest-log";
import { configGuardStatement, isStaleConfig, STALE_CONFIG, type StaleConfig } from "../db/workspaces";
import { enqueueDeliveries, type DeliveryMessage } from "../delivery/messages";

/** What one commit writes to D1 and then puts on the queue. */
export interface CommitWrite {
  workspaceId: string;
  /** The config version its fan-out was computed from; null = no guard. */
  configVersion: number | null;
  events: EventRow[];
  payloads: EventPayloadRow[];
  deliveries: NewDelivery[];
  logs: IngestLogEntry[];
  messages: DeliveryMessage[];
}

/** Test seam of the order object: make the next write fail after D1 or after the queue. */
export type WriteFault = "after_d1" | "after_queue";

/** A write is committed, or refused whole because its fan-out came from an old config version. */
export type WriteOutcome = "written" | StaleConfig;

interface Waiting {
  write: CommitWrite;
  resolve: (outcome: WriteOutcome) => void;
  reject: (err: unknown) => void;
}

/** Writes in one flush: a D1 batch of a few statements and one queue send, far inside their limits. */
const MAX_WRITES_PER_FLUSH = 32;

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

  write(write: CommitWrite): Promise<WriteOutcome> {
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
      if (isStaleConfig(err)) group[0]!.resolve(STALE_CONFIG);
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
 * rolls the whole batch back, src/db/workspaces.ts), then one statement per table with every
 * write's rows (src/db/events.ts, deliveries.ts, ingest-log.ts). Every insert is idempotent
 * (ids derive from the event), so a provider retry of a commit that failed after D1 rewrites nothing.
 */
export function writeStatements(db: D1Database, writes: CommitWrite[]): D1PreparedStatement[] {
  const guards = new Map<string, { workspaceId: string; version: number }>();
  for (const w of writes) {
    if (w.configVersion !== null) guards.set(`${w.workspaceId}:${w.configVersion}`, { workspaceId: w.workspaceId, version: w.configVersion });
  }
  return [
    ...[...guards.values()].map((g) => configGuardStatement(db, g.workspaceId, g.version)),
    ...insertEventsStatements(db, writes.flatMap((w) => w.events)),
    ...insertPayloadsStatements(db, writes.flatMap((w) => w.payloads)),
    ...insertNewDeliveriesStatements(db, writes.flatMap((w) => w.deliveries)),
    ...upsertIngestLogStatements(db, writes.flatMap((w) => w.logs)),
  ];
}
