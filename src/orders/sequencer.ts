import { DurableObject } from "cloudflare:workers";
import type { CanonicalEvent } from "../events/canonical";
import { enqueueDeliveries, type DeliveryMessage } from "../delivery/messages";
import { insertIngestLogStatement, type IngestLogEntry } from "../ingest/ingest-log";
import { configGuardStatement, isStaleConfig } from "../db/config-version";
import { retentionDays } from "../lib/config";

/** One event as the ingest route prepared it: identity, canonical body (minus sequence), fan-out. */
export interface PreparedEvent {
  id: string;
  dedupeKey: string;
  type: string;
  livemode: boolean;
  orderReference: string | null;
  trackingNumber: string | null;
  occurredAt: number;
  createdAt: number;
  canonical: Omit<CanonicalEvent, "sequence">;
  /** One per matching destination; `hold` = the destination is paused/disabled, so no message yet. */
  deliveries: { id: string; destinationId: string; attemptLimit: number; hold: boolean }[];
}

export interface CommitRequest {
  workspaceId: string;
  sourceId: string;
  /** order:<ref> | tracking:<carrier>:<number> | null (deduped, not sequenced). */
  orderKey: string | null;
  /** The config version the fan-out was computed from (cached ingest config); null = read just now, no guard. */
  configVersion: number | null;
  raw: string;
  events: PreparedEvent[];
  /** The request's ingest-log row, written in the same D1 batch; null when the caller writes it. */
  log: Omit<IngestLogEntry, "result" | "eventIds"> | null;
}

export interface CommitResult {
  /** Every event's id, in request order (fresh and duplicate). */
  eventIds: string[];
  fresh: string[];
  duplicates: string[];
  /** The guard refused the batch: the fan-out came from an old config version; nothing was committed. */
  staleConfig?: true;
}

/** Test seam: make the next commit fail at a given step, to prove the invariant below. */
export type CommitFault = "before_d1" | "after_d1" | "after_queue";

/**
 * The order object: dedupes and sequences the events of the orders addressed to it (one
 * order key, or — with ORDER_SHARDS — every order key of a workspace that hashes to it; see
 * `sequencerName`). It serializes each order's events and holds the invariant the relay's
 * promise rests on:
 *
 *   An event is acknowledged (2xx) only after its event row, its delivery rows and its
 *   ingest-log row are committed to D1 in one batch AND its delivery messages are on the
 *   queue. Until then the dedupe entry stays `committed = 0`: a provider retry of the same
 *   callback redoes the (idempotent, deterministic-id) writes and the queue send. Once
 *   committed, a retry is answered `duplicate` and creates no delivery.
 *
 * Sequence numbers are assigned here, once per dedupe key, and reused when an uncommitted
 * event is retried, so a failure never reorders an order's events.
 */
export class OrderSequencer extends DurableObject<Env> {
  /** The tail of each order's commit chain (key "" = events without an order). */
  private tails = new Map<string, Promise<unknown>>();
  /** Whether this instance already knows an expiry alarm is set (saves a storage read per commit). */
  private alarmSet = false;
  /** Set by tests through runInDurableObject; never set in production. */
  fault: CommitFault | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS seen (
        dedupe_key TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        sequence INTEGER,
        committed INTEGER NOT NULL,
        at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS sequences (order_key TEXT PRIMARY KEY, v INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
    `);
  }

  /**
   * I/O to D1 and the queue lets other calls interleave (input gates only cover storage),
   * so the commits of one order run strictly one after another through its chain; different
   * orders in the same object do not wait for each other.
   */
  private serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    // Forget an order's chain once it is idle, so a long-lived object does not keep one per order.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** The order's next sequence number, in one statement. */
  private nextSequence(orderKey: string, now: number): number {
    const row = this.ctx.storage.sql
      .exec<{ v: number }>(
        `INSERT INTO sequences (order_key, v, at) VALUES (?1, 1, ?2)
           ON CONFLICT (order_key) DO UPDATE SET v = v + 1, at = ?2
         RETURNING v`,
        orderKey,
        now,
      )
      .one();
    return row.v;
  }

  private takeFault(step: CommitFault) {
    if (this.fault === step) {
      this.fault = null;
      throw new Error(`injected fault: ${step}`);
    }
  }

  async commit(req: CommitRequest): Promise<CommitResult> {
    return this.serialize(req.orderKey ?? "", async () => {
      const sql = this.ctx.storage.sql;
      const now = Date.now();
      const eventIds: string[] = [];
      const fresh: (PreparedEvent & { sequence: number | null })[] = [];
      const duplicates: string[] = [];
      const inThisCall = new Set<string>();

      for (const ev of req.events) {
        const seen = sql
          .exec<{ event_id: string; sequence: number | null; committed: number }>(
            "SELECT event_id, sequence, committed FROM seen WHERE dedupe_key = ?",
            ev.dedupeKey,
          )
          .toArray()[0];
        if (inThisCall.has(ev.dedupeKey) || seen?.committed) {
          // The same event twice in one body, or an event already committed.
          eventIds.push(seen?.event_id ?? ev.id);
          duplicates.push(seen?.event_id ?? ev.id);
          continue;
        }
        inThisCall.add(ev.dedupeKey);
        let sequence: number | null;
        if (seen) {
          sequence = seen.sequence; // a retry of an uncommitted event keeps its place
        } else {
          sequence = req.orderKey ? this.nextSequence(req.orderKey, now) : null;
          sql.exec(
            "INSERT INTO seen (dedupe_key, event_id, sequence, committed, at) VALUES (?, ?, ?, 0, ?)",
            ev.dedupeKey,
            ev.id,
            sequence,
            now,
          );
        }
        eventIds.push(ev.id);
        fresh.push({ ...ev, sequence });
      }

      const db = this.env.DB;
      if (fresh.length === 0) {
        if (req.log) {
          await insertIngestLogStatement(db, { ...req.log, result: "duplicate", eventIds }).run();
        }
        return { eventIds, fresh: [], duplicates };
      }

      this.takeFault("before_d1");
      // First, so a fan-out from stale cached config rolls the whole batch back (src/db/config-version.ts).
      const statements: D1PreparedStatement[] =
        req.configVersion === null ? [] : [configGuardStatement(db, req.workspaceId, req.configVersion)];
      const messages: DeliveryMessage[] = [];
      for (const ev of fresh) {
        const body = JSON.stringify({ ...ev.canonical, sequence: ev.sequence });
        statements.push(
          db
            .prepare(
              `INSERT OR IGNORE INTO events (id, workspace_id, source_id, type, livemode, order_key, order_reference,
                 tracking_number, sequence, dedupe_key, body, occurred_at, created_at)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)`,
            )
            .bind(
              ev.id,
              req.workspaceId,
              req.sourceId,
              ev.type,
              ev.livemode ? 1 : 0,
              req.orderKey,
              ev.orderReference,
              ev.trackingNumber,
              ev.sequence,
              ev.dedupeKey,
              body,
              ev.occurredAt,
              ev.createdAt,
            ),
          db
            .prepare("INSERT OR IGNORE INTO event_payloads (event_id, workspace_id, raw) VALUES (?1, ?2, ?3)")
            .bind(ev.id, req.workspaceId, req.raw),
        );
        for (const d of ev.deliveries) {
          statements.push(
            db
              .prepare(
                `INSERT OR IGNORE INTO deliveries (id, workspace_id, event_id, destination_id, event_type, status,
                   attempt_count, attempt_limit, next_attempt_at, enqueued_at, order_key, sequence, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?7, ?8, ?9, ?10, ?7, ?7)`,
              )
              .bind(d.id, req.workspaceId, ev.id, d.destinationId, ev.type, d.attemptLimit, ev.createdAt, d.hold ? null : now, req.orderKey, ev.sequence),
          );
          if (!d.hold) messages.push({ delivery_id: d.id, attempt: 1 });
        }
      }
      if (req.log) statements.push(insertIngestLogStatement(db, { ...req.log, result: "accepted", eventIds }));
      try {
        await db.batch(statements);
      } catch (err) {
        // Answered, not thrown: the caller redoes the fan-out on fresh config (an expected turn, not a fault).
        if (isStaleConfig(err)) return { eventIds: [], fresh: [], duplicates: [], staleConfig: true };
        throw err;
      }
      this.takeFault("after_d1");
      await enqueueDeliveries(this.env.DELIVERIES, messages);
      this.takeFault("after_queue");
      for (const ev of fresh) sql.exec("UPDATE seen SET committed = 1 WHERE dedupe_key = ?", ev.dedupeKey);
      await this.ensureExpiryAlarm();
      return { eventIds, fresh: fresh.map((e) => e.id), duplicates };
    });
  }

  /** The order's last assigned sequence number, without assigning one (tests, diagnostics). */
  async peekSequence(orderKey: string): Promise<number> {
    const row = this.ctx.storage.sql.exec<{ v: number }>("SELECT v FROM sequences WHERE order_key = ?", orderKey).toArray()[0];
    return row?.v ?? 0;
  }

  /**
   * Dedupe state outlives its events by nothing: entries past retention are dropped daily, and
   * so is the counter of an order idle for as long (its events are purged from D1 by then, so a
   * restart at 1 cannot be confused with them).
   */
  private async ensureExpiryAlarm() {
    if (this.alarmSet) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + DAY_MS);
    this.alarmSet = true;
  }

  override async alarm() {
    const cutoff = Date.now() - retentionMs(this.env);
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM seen WHERE at < ?", cutoff);
    sql.exec("DELETE FROM sequences WHERE at < ?", cutoff);
    const left =
      sql.exec<{ n: number }>("SELECT (SELECT count(*) FROM seen) + (SELECT count(*) FROM sequences) AS n").toArray()[0]?.n ?? 0;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + DAY_MS);
    this.alarmSet = left > 0;
  }
}

const DAY_MS = 86_400_000;

/** The same window as the D1 purge (src/housekeeping/retention.ts), so dedupe never outlives its events. */
export function retentionMs(env: Env): number {
  return retentionDays(env) * DAY_MS;
}
