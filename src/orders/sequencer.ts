import { DurableObject } from "cloudflare:workers";
import type { WorkspaceRouting } from "../db/destinations";
import type { EventRow } from "../db/events";
import type { IngestLogEntry } from "../db/ingest-log";
import type { CanonicalEvent } from "../events/canonical";
import { retentionDays } from "../lib/config";
import { Outbox, type FlushFault } from "./outbox";
import { BY_KEY, entryKey, type OutboxEntry } from "./outbox-entry";
import { adoptLegacyTables, legacyDuplicate, legacySequence, expireLegacy } from "./legacy-dedupe";

/** One event as the ingest route prepared it: identity and canonical body (minus sequence). */
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
}

export interface CommitRequest {
  workspaceId: string;
  sourceId: string;
  /** order:<ref> | tracking:<carrier>:<number> | null (deduped, not sequenced). */
  orderKey: string | null;
  /** The routing the ingest isolate holds (cached config), so the flush need not read it; null = none at hand. */
  routing: WorkspaceRouting | null;
  raw: string;
  events: PreparedEvent[];
  /** The request's ingest-log row, written with the events; null when the caller adds it later (`appendLog`). */
  log: Omit<IngestLogEntry, "result" | "eventIds"> | null;
}

export interface Committed {
  /** Every event's id, in request order (fresh and duplicate). */
  eventIds: string[];
  fresh: string[];
  duplicates: string[];
  /** The newest workspace config version this object has seen: newer than the caller's means its cache is stale. */
  configVersion: number | null;
}

/** Test seam: make the next commit fail inside its write, or the next flush at a step. */
export type CommitFault = "commit" | FlushFault;

/** How soon an alarm must follow a commit: the outbox's safety net if the object is evicted. */
const FLUSH_SAFETY_MS = 30_000;
const DAY_MS = 86_400_000;

/**
 * The order object: the relay's durable edge store. It dedupes and sequences the events of the
 * orders addressed to it (one order key, or — with ORDER_SHARDS — every order key of a workspace
 * that hashes to it; see `sequencerName`), and holds the invariant the relay's promise rests on:
 *
 *   A commit writes the event (with the provider's payload and the request's ingest-log row)
 *   into the object's own SQLite storage, with its dedupe entry and its order's next sequence
 *   number, in one transaction. The RPC answers only once that write is durable (the object's
 *   output gate), and only then does ingest answer 2xx. A retry of the same callback finds the
 *   dedupe entry and is answered `duplicate`: no second event, no second delivery.
 *
 * D1 and the delivery queue are fed from the object's outbox in the background
 * (src/orders/outbox.ts): the 2xx waits on one remote call, this one.
 *
 * A commit awaits nothing between its reads and its writes, so commits of one object never
 * interleave and an order's sequence has no gaps (the transaction rolls back whole).
 */
export class OrderSequencer extends DurableObject<Env> {
  /** The alarm this instance knows is set (saves a storage call per commit); null = unknown. */
  private alarmAt: number | null = null;
  /** Set by tests through runInDurableObject; never set in production. */
  fault: CommitFault | null = null;
  /** Test seam: while set, every flush fails before D1, so commits wait in the outbox. */
  holdOutbox = false;
  private readonly outbox: Outbox;

  /** Tables of the design before `dedupe` still hold rows (src/orders/legacy-dedupe.ts). */
  private legacy: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    /*
     * One row per event: `dedupe`, keyed (order key, dedupe key), WITHOUT ROWID. The order's
     * sequence is the largest of its rows (a read of the key's range, not a counter row written
     * on every commit); `outbox` holds the entry until it is flushed, `aside` one set aside.
     * Unsequenced events take the order key ''.
     */
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS dedupe (
        order_key TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        event_id TEXT NOT NULL,
        sequence INTEGER,
        at INTEGER NOT NULL,
        outbox TEXT,
        aside TEXT,
        PRIMARY KEY (order_key, dedupe_key)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
    `);
    this.legacy = adoptLegacyTables(ctx.storage);
    this.outbox = new Outbox(ctx, env, (at) => this.alarmNoLaterThan(at), (step) => this.takeFault(step));
  }

  private takeFault(step: CommitFault) {
    if (step === "before_d1" && this.holdOutbox) throw new Error("injected fault: outbox held");
    if (this.fault === step) {
      this.fault = null;
      throw new Error(`injected fault: ${step}`);
    }
  }

  async commit(req: CommitRequest): Promise<Committed> {
    const now = Date.now();
    const result = this.ctx.storage.transactionSync(() => this.write(req, now));
    this.outbox.offerRouting(req.routing);
    for (const key of result.touched) this.outbox.added(entryKey(req.orderKey ?? "", key));
    await this.alarmNoLaterThan(now + FLUSH_SAFETY_MS);
    return { eventIds: result.eventIds, fresh: result.fresh, duplicates: result.duplicates, configVersion: this.outbox.configVersion() };
  }

  /** The ingest-log row of a callback whose events went to several order objects: it rides on its first event. */
  async appendLog(orderKey: string | null, dedupeKey: string, log: IngestLogEntry): Promise<void> {
    this.ctx.storage.transactionSync(() => this.attachLog(orderKey ?? "", dedupeKey, log));
    this.outbox.added(entryKey(orderKey ?? "", dedupeKey));
    await this.alarmNoLaterThan(Date.now() + FLUSH_SAFETY_MS);
  }

  /** The commit's reads and writes, inside one storage transaction. */
  private write(req: CommitRequest, now: number) {
    const sql = this.ctx.storage.sql;
    const orderKey = req.orderKey ?? "";
    const eventIds: string[] = [];
    const fresh: string[] = [];
    const duplicates: string[] = [];
    const touched: string[] = [];
    const inThisCall = new Set<string>();
    const inserts: { key: string; id: string; sequence: number | null; entry: OutboxEntry }[] = [];
    let firstKey: string | null = null;
    let sequence = req.orderKey ? this.lastSequence(req.orderKey) : null;

    for (const ev of req.events) {
      const seen =
        sql.exec<{ event_id: string }>(`SELECT event_id FROM dedupe WHERE ${BY_KEY}`, orderKey, ev.dedupeKey).toArray()[0] ??
        (this.legacy ? legacyDuplicate(this.ctx.storage, ev.dedupeKey) : undefined);
      firstKey ??= ev.dedupeKey;
      if (inThisCall.has(ev.dedupeKey) || seen) {
        // The same event twice in one body, or an event already committed.
        const id = seen?.event_id ?? ev.id;
        eventIds.push(id);
        duplicates.push(id);
        continue;
      }
      inThisCall.add(ev.dedupeKey);
      if (sequence !== null) sequence++;
      inserts.push({ key: ev.dedupeKey, id: ev.id, sequence, entry: { event: eventRow(req, ev, sequence), logs: [] } });
      eventIds.push(ev.id);
      fresh.push(ev.id);
    }
    const log: IngestLogEntry | null = req.log ? { ...req.log, result: fresh.length ? "accepted" : "duplicate", eventIds } : null;
    // The log rides in the first event's entry: written with it when that event is new.
    if (log && inserts[0]?.key === firstKey) inserts[0]!.entry.logs.push(log);
    for (const ins of inserts) {
      sql.exec(
        "INSERT INTO dedupe (order_key, dedupe_key, event_id, sequence, at, outbox) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        orderKey,
        ins.key,
        ins.id,
        ins.sequence,
        now,
        JSON.stringify(ins.entry),
      );
      touched.push(ins.key);
    }
    if (log && firstKey && inserts[0]?.key !== firstKey) {
      this.attachLog(orderKey, firstKey, log);
      touched.push(firstKey);
    }
    this.takeFault("commit");
    return { eventIds, fresh, duplicates, touched };
  }

  /** Adds an ingest-log row to the outbox entry of a dedupe row (starting one if it was flushed). */
  private attachLog(orderKey: string, dedupeKey: string, log: IngestLogEntry) {
    const sql = this.ctx.storage.sql;
    const key = [orderKey, dedupeKey] as const;
    const row = sql.exec<{ outbox: string | null }>(`SELECT outbox FROM dedupe WHERE ${BY_KEY}`, ...key).toArray()[0];
    if (!row) {
      // A duplicate of an event committed before `dedupe` existed: its log row gets an entry of its own.
      sql.exec("INSERT INTO dedupe (order_key, dedupe_key, event_id, at, outbox) VALUES (?1, ?2, ?3, ?4, ?5)", ...key, log.eventIds[0] ?? "", Date.now(), JSON.stringify({ logs: [log] }));
      return;
    }
    const entry: OutboxEntry = row.outbox ? (JSON.parse(row.outbox) as OutboxEntry) : { logs: [] };
    entry.logs.push(log);
    sql.exec(`UPDATE dedupe SET outbox = ?3 WHERE ${BY_KEY}`, ...key, JSON.stringify(entry));
  }

  /**
   * The order's last sequence number: the largest of its dedupe rows (a read of the key's range;
   * nothing is written to count). An order idle past retention has no rows left and starts at 1
   * again, as its events are purged from D1 by then.
   */
  private lastSequence(orderKey: string): number {
    const own = this.ctx.storage.sql.exec<{ v: number | null }>("SELECT max(sequence) AS v FROM dedupe WHERE order_key = ?", orderKey).one().v ?? 0;
    return this.legacy ? Math.max(own, legacySequence(this.ctx.storage, orderKey)) : own;
  }

  /** The order's last assigned sequence number, without assigning one (tests, diagnostics). */
  async peekSequence(orderKey: string): Promise<number> {
    return this.lastSequence(orderKey);
  }

  /** The outbox: entries waiting for D1 and the queue, the oldest one's time, entries set aside. */
  async outboxState() {
    return this.outbox.state();
  }

  /** Runs the daily expiry as if it were `now`: how many dedupe rows went (tests; the bench prices retention's deletes). */
  async expireAsOf(now: number): Promise<number> {
    return this.expire(now);
  }

  /** Flushes now and waits for it (tests; an operator's nudge). */
  async flushNow(): Promise<void> {
    if (this.outbox.hasWaiting()) await this.outbox.kick();
  }

  /** One alarm serves both deadlines: the outbox's retry or safety net, and the daily expiry. The earlier wins. */
  private async alarmNoLaterThan(at: number) {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    const current = await this.ctx.storage.getAlarm();
    if (current !== null && current <= at) {
      this.alarmAt = current;
      return;
    }
    await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }

  override async alarm() {
    this.alarmAt = null;
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    let expiryDue = sql.exec<{ v: number }>("SELECT v FROM meta WHERE k = 'expiry_due'").toArray()[0]?.v;
    if (expiryDue === undefined || expiryDue <= now) {
      this.expire(now);
      expiryDue = now + DAY_MS;
      sql.exec("INSERT INTO meta (k, v) VALUES ('expiry_due', ?1) ON CONFLICT (k) DO UPDATE SET v = ?1", expiryDue);
    }
    if (this.outbox.hasWaiting()) await this.outbox.kick();
    const left = sql.exec<{ n: number }>("SELECT count(*) AS n FROM dedupe").one().n + (this.legacy ? 1 : 0);
    if (this.outbox.hasWaiting()) await this.alarmNoLaterThan(Math.min(expiryDue, now + FLUSH_SAFETY_MS));
    else if (left > 0) await this.alarmNoLaterThan(expiryDue);
  }

  /**
   * Dedupe state outlives its events by nothing: entries past retention are dropped daily, and
   * with them the sequence of an order idle for as long (its events are purged from D1 by then,
   * so a restart at 1 cannot be confused with them). An entry still in the outbox is kept.
   */
  private expire(now: number): number {
    const cutoff = now - retentionMs(this.env);
    const gone = this.ctx.storage.sql.exec("DELETE FROM dedupe WHERE at < ? AND outbox IS NULL AND aside IS NULL", cutoff).rowsWritten;
    if (this.legacy) this.legacy = expireLegacy(this.ctx.storage, cutoff);
    return gone;
  }
}

/** The `events` row of a committed event, as the outbox will write it to D1. */
function eventRow(req: CommitRequest, ev: PreparedEvent, sequence: number | null): EventRow {
  return {
    id: ev.id,
    workspaceId: req.workspaceId,
    sourceId: req.sourceId,
    type: ev.type,
    livemode: ev.livemode,
    orderKey: req.orderKey,
    orderReference: ev.orderReference,
    trackingNumber: ev.trackingNumber,
    sequence,
    dedupeKey: ev.dedupeKey,
    body: JSON.stringify({ ...ev.canonical, sequence }),
    raw: req.raw,
    occurredAt: ev.occurredAt,
    createdAt: ev.createdAt,
    // The flush puts the request's log entry here (src/db/ingest-log.ts placeLogs).
    request: null,
  };
}

/** The same window as the D1 purge (src/housekeeping/retention.ts), so dedupe never outlives its events. */
export function retentionMs(env: Env): number {
  return retentionDays(env) * DAY_MS;
}
