import { DurableObject } from "cloudflare:workers";
import type { CanonicalEvent } from "../events/canonical";
import type { IngestLogEntry } from "../db/ingest-log";
import { STALE_CONFIG, type StaleConfig } from "../db/workspaces";
import { retentionDays } from "../lib/config";
import { GroupCommit, type CommitWrite } from "./group-commit";

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

export interface Committed {
  /** Every event's id, in request order (fresh and duplicate). */
  eventIds: string[];
  fresh: string[];
  duplicates: string[];
}

/** `stale_config`: the guard refused the batch, the fan-out came from an old config version; nothing was committed. */
export type CommitResult = Committed | StaleConfig;

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
 * The D1 batch and the queue send are the object's group commit (src/orders/group-commit.ts):
 * commits of other orders that wait on this object at the same moment ride in the same batch
 * and send, which changes nothing above — each commit still resolves only once both are done.
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
  /** Writes the commits of this object's orders to D1 and the queue, several per flush under load. */
  private readonly writer = new GroupCommit(this.env, (step) => this.takeFault(step));

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

      if (fresh.length === 0) {
        // Nothing fanned out, so no config guard: the row says what the provider is told.
        if (req.log) await this.writer.write({ ...emptyWrite(req), configVersion: null, logs: [{ ...req.log, result: "duplicate", eventIds }] });
        return { eventIds, fresh: [], duplicates };
      }

      this.takeFault("before_d1");
      const write: CommitWrite = {
        ...emptyWrite(req),
        logs: req.log ? [{ ...req.log, result: "accepted", eventIds }] : [],
      };
      for (const ev of fresh) {
        write.events.push({
          id: ev.id,
          workspaceId: req.workspaceId,
          sourceId: req.sourceId,
          type: ev.type,
          livemode: ev.livemode,
          orderKey: req.orderKey,
          orderReference: ev.orderReference,
          trackingNumber: ev.trackingNumber,
          sequence: ev.sequence,
          dedupeKey: ev.dedupeKey,
          body: JSON.stringify({ ...ev.canonical, sequence: ev.sequence }),
          raw: req.raw,
          occurredAt: ev.occurredAt,
          createdAt: ev.createdAt,
        });
        write.payloads.push({ eventId: ev.id, workspaceId: req.workspaceId, raw: req.raw });
        for (const d of ev.deliveries) {
          write.deliveries.push({
            id: d.id,
            workspaceId: req.workspaceId,
            eventId: ev.id,
            destinationId: d.destinationId,
            eventType: ev.type,
            attemptLimit: d.attemptLimit,
            createdAt: ev.createdAt,
            enqueuedAt: d.hold ? null : now,
            orderKey: req.orderKey,
            sequence: ev.sequence,
          });
          if (!d.hold) write.messages.push({ delivery_id: d.id, attempt: 1 });
        }
      }
      // Answered, not thrown: the caller redoes the fan-out on fresh config (an expected turn, not a fault).
      if ((await this.writer.write(write)) === STALE_CONFIG) return STALE_CONFIG;
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

function emptyWrite(req: CommitRequest): CommitWrite {
  return { workspaceId: req.workspaceId, configVersion: req.configVersion, events: [], payloads: [], deliveries: [], logs: [], messages: [] };
}

/** The same window as the D1 purge (src/housekeeping/retention.ts), so dedupe never outlives its events. */
export function retentionMs(env: Env): number {
  return retentionDays(env) * DAY_MS;
}
