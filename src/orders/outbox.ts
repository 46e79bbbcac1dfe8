import { dbOf } from "../db/client";
import { readWorkspaceRouting, type WorkspaceRouting } from "../db/destinations";
import { insertedEventIds, type EventRow } from "../db/events";
import { placeLogs, uncarriedLogStatements } from "../db/ingest-log";
import { BY_KEY, entryKey, keyParts, type EntryKey, type OutboxEntry } from "./outbox-entry";
import { isStaleConfig } from "../db/workspaces";
import { enqueueDeliveries } from "../delivery/messages";
import { reportBacklog } from "./backlog";
import { flushBatch, WrittenPairs } from "./flush-batch";

/** An entry as read for a flush, with the stored text it was read from. */
interface Read {
  /** The stored text's length (SQLite's count): an entry only ever grows (a log row appended), so an equal length is the same entry. */
  length: number;
  entry: OutboxEntry;
}

/** Test seam: make the next flush fail after D1 or after the queue. */
export type FlushFault = "before_d1" | "after_d1" | "after_queue";

/** How long a flush waits for more commits before it starts: far below a D1 round trip, and after the 2xx. */
const FLUSH_LINGER_MS = 2;
/** Entries one flush takes: one D1 batch of a few multi-row statements and one queue send. */
const MAX_PER_FLUSH = 50;
/** A flush that failed is retried after 1 s, 2 s, 4 s … at most this long. */
const MAX_BACKOFF_MS = 5 * 60_000;
/** An entry D1 refuses on its own this many flushes in a row, while others go through, is set aside. */
const SET_ASIDE_AFTER = 3;

/**
 * The order object's outbox (CONTRACT.md, Additions: "what a 2xx guarantees"). Commits are
 * durable in the object's own storage before the provider's 2xx; the outbox then feeds D1 and
 * the delivery queue in the background, in batches: one D1 batch (guarded by the workspace's
 * config version, multi-row and idempotent by deterministic ids) and one `sendBatch` for every
 * entry waiting, then one statement marks them flushed. A flush starts right after a commit
 * and takes every commit that arrived meanwhile.
 *
 * Nothing is stranded: the object keeps an alarm set while entries wait (src/orders/sequencer.ts),
 * so an object evicted after its 2xx still flushes; a failed flush is retried with backoff. Sending
 * twice is harmless (D1 inserts do nothing on conflict; a second message for attempt 1 is dropped
 * by the consumer once the attempt is made), losing is not: an entry is marked flushed only
 * after both D1 and the queue have it. An entry D1 refuses every time is set aside (kept in the
 * object with its error, counted, listed by `outboxState`) instead of blocking those behind it.
 */
export class Outbox {
  private readonly pending = new Set<string>();
  private recovered = false;
  private running: Promise<void> | null = null;
  private again = false;
  private routing: WorkspaceRouting | undefined;
  private consecutiveFailures = 0;
  /** When the current run of failed flushes began; null while healthy. */
  private troubleSince: number | null = null;
  /** This object's backlog is in relay_state (or may be: set aside entries, a restart mid-trouble). */
  private reported = false;
  /** What was last reported (entries waiting?, how many set aside), so an unchanged backlog is not rewritten. */
  private lastReport = "";
  private workspaceId: string | null = null;
  private readonly refusedAlone = new Map<string, number>();
  private readonly pairs = new WrittenPairs();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    /** Asks for an alarm no later than `at` (the retry of a failed flush). */
    private readonly wakeAt: (at: number) => Promise<void>,
    /** Consulted at each step; throws to inject a fault (tests). */
    private readonly faultAt: (step: FlushFault) => void = () => undefined,
  ) {}

  /** The routing the ingest isolate fanned out with; the newest version seen is kept. */
  offerRouting(routing: WorkspaceRouting | null) {
    if (routing && (!this.routing || routing.configVersion > this.routing.configVersion)) this.routing = routing;
  }

  /** The newest config version this outbox has seen (what its fan-out uses), if any. */
  configVersion(): number | null {
    return this.routing?.configVersion ?? null;
  }

  /** An entry was written for this key: flush soon. */
  added(key: EntryKey) {
    this.pending.add(key);
    this.kick();
  }

  /** Starts a flush in the background unless one runs; one that runs goes round again. */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        // A moment's linger lets the commits arriving together share the first flush too.
        await new Promise((resolve) => setTimeout(resolve, FLUSH_LINGER_MS));
        do {
          this.again = false;
          const more = await this.flushOnce();
          if (more) this.again = true;
        } while (this.again);
        this.consecutiveFailures = 0;
        if (this.troubleSince !== null || this.reported) await this.report();
      } catch (err) {
        this.consecutiveFailures++;
        this.troubleSince ??= Date.now();
        const delay = Math.min(1000 * 2 ** (this.consecutiveFailures - 1), MAX_BACKOFF_MS);
        console.error(JSON.stringify({ level: "error", msg: "outbox flush failed", retry_in_ms: delay, error: (err as Error).message }));
        await this.wakeAt(Date.now() + delay);
      } finally {
        this.running = null;
      }
    })();
    this.ctx.waitUntil(this.running);
    return this.running;
  }

  /** Reports a backlog that has passed (or stays: entries set aside) once D1 takes it again. */
  private async report() {
    if (!this.workspaceId) return;
    const state = this.state();
    const report = `${state.waiting > 0}:${state.setAside}`;
    if (this.troubleSince === null && report === this.lastReport) return;
    try {
      const outcome = await reportBacklog(
        this.env,
        { workspaceId: this.workspaceId, objectId: this.ctx.id.toString(), troubleSince: this.troubleSince, now: Date.now() },
        state,
      );
      this.troubleSince = null;
      this.reported = outcome === "reported";
      this.lastReport = report;
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "outbox backlog not reported", error: (err as Error).message }));
    }
  }

  /** How many entries wait, since when, and how many were set aside (diagnostics, tests, status). */
  state(): { waiting: number; oldestAt: number | null; setAside: number } {
    const row = this.ctx.storage.sql
      .exec<{ waiting: number; oldest: number | null; aside: number }>(
        `SELECT count(outbox) AS waiting, min(CASE WHEN outbox IS NOT NULL THEN at END) AS oldest, count(aside) AS aside FROM dedupe`,
      )
      .one();
    return { waiting: row.waiting, oldestAt: row.oldest, setAside: row.aside };
  }

  /** True when entries wait (after a restart, read from storage once). */
  hasWaiting(): boolean {
    this.recover();
    return this.pending.size > 0;
  }

  private recover() {
    if (this.recovered) return;
    const waiting = this.ctx.storage.sql.exec<{ o: string; d: string }>("SELECT order_key AS o, dedupe_key AS d FROM dedupe WHERE outbox IS NOT NULL");
    for (const r of waiting) this.pending.add(entryKey(r.o, r.d));
    this.recovered = true;
  }

  /** One flush of up to MAX_PER_FLUSH entries; true when more wait. Throws when nothing could be written. */
  private async flushOnce(): Promise<boolean> {
    this.recover();
    const keys = [...this.pending].slice(0, MAX_PER_FLUSH);
    if (keys.length === 0) return false;
    const entries = this.read(keys);
    for (const k of keys) if (!entries.has(k)) this.pending.delete(k);
    if (entries.size === 0) return this.pending.size > 0;

    try {
      await this.write([...entries.values()].map((r) => r.entry));
      this.markFlushed(entries);
    } catch (err) {
      if (entries.size === 1) throw err;
      // One of several may be at fault: write each alone, so only that one waits.
      let wrote = 0;
      const refused: [string, unknown][] = [];
      for (const [key, read] of entries) {
        try {
          await this.write([read.entry]);
          this.markFlushed(new Map([[key, read]]));
          wrote++;
        } catch (alone) {
          refused.push([key, alone]);
        }
      }
      for (const [key, why] of refused) this.noteRefusedAlone(key, why, wrote > 0);
      if (wrote === 0) throw refused[0]?.[1] ?? err;
    }
    return this.pending.size > 0;
  }

  private read(keys: EntryKey[]): Map<EntryKey, Read> {
    const out = new Map<EntryKey, Read>();
    for (const key of keys) {
      // By primary key, one row each (an IN over json_each pairs would scan the table).
      const r = this.ctx.storage.sql
        .exec<{ outbox: string | null; n: number }>(`SELECT outbox, length(outbox) AS n FROM dedupe WHERE ${BY_KEY}`, ...keyParts(key))
        .toArray()[0];
      if (r?.outbox) out.set(key, { length: r.n, entry: JSON.parse(r.outbox) as OutboxEntry });
    }
    return out;
  }

  /** D1 first (guarded; a stale routing is read again once), then the queue. */
  private async write(entries: OutboxEntry[]) {
    this.faultAt("before_d1");
    // An accepted request's log entry rides in the row of the event it brought; the others are ingest_log rows.
    const placed = placeLogs(entries);
    const workspaceId = placed.events[0]?.workspaceId ?? placed.logs[0]?.workspaceId;
    if (!workspaceId) return;
    this.workspaceId = workspaceId;
    let routing = placed.events.length ? await this.currentRouting(workspaceId) : undefined;
    const known = (e: EventRow) => this.pairs.known(e);
    let plan = await flushBatch(this.env.DB, placed, routing, known);
    let results: D1Result[];
    try {
      results = await this.env.DB.batch(plan.statements);
    } catch (err) {
      if (!isStaleConfig(err)) throw err;
      routing = await this.currentRouting(workspaceId, true);
      plan = await flushBatch(this.env.DB, placed, routing, known);
      results = await this.env.DB.batch(plan.statements);
    }
    this.pairs.remember(placed.events);
    const uncarried = uncarriedLogStatements(this.env.DB, placed.carried, insertedEventIds(results));
    if (uncarried.length) await this.env.DB.batch(uncarried);
    this.faultAt("after_d1");
    await enqueueDeliveries(this.env.DELIVERIES, plan.messages);
    this.faultAt("after_queue");
  }

  private async currentRouting(workspaceId: string, fresh = false): Promise<WorkspaceRouting> {
    if (!fresh && this.routing) return this.routing;
    const read = await readWorkspaceRouting(dbOf(this.env), workspaceId);
    // A workspace that is gone has no destinations: its events are still stored, delivered nowhere.
    this.routing = read ?? { configVersion: this.routing?.configVersion ?? 0, destinations: [] };
    return this.routing;
  }

  /**
   * Clears written entries, except one a commit added to while it was being written (a
   * duplicate's log row): of that one only what was not written stays, for the next flush.
   */
  private markFlushed(written: Map<EntryKey, Read>) {
    const sql = this.ctx.storage.sql;
    for (const [key, read] of written) {
      this.refusedAlone.delete(key);
      // By primary key, one row each: a set-valued WHERE over json_each would scan the whole table.
      const cleared = sql.exec(`UPDATE dedupe SET outbox = NULL WHERE ${BY_KEY} AND length(outbox) = ?3`, ...keyParts(key), read.length).rowsWritten;
      if (cleared > 0) this.pending.delete(key);
      else this.keepUnwritten(key, read);
    }
  }

  private keepUnwritten(key: EntryKey, read: Read) {
    const sql = this.ctx.storage.sql;
    const now = sql.exec<{ outbox: string | null }>(`SELECT outbox FROM dedupe WHERE ${BY_KEY}`, ...keyParts(key)).toArray()[0]?.outbox;
    if (!now) {
      this.pending.delete(key);
      return;
    }
    const done = new Set(read.entry.logs.map((l) => l.id));
    const rest: OutboxEntry = { logs: (JSON.parse(now) as OutboxEntry).logs.filter((l) => !done.has(l.id)) };
    sql.exec(`UPDATE dedupe SET outbox = ?3 WHERE ${BY_KEY}`, ...keyParts(key), rest.logs.length ? JSON.stringify(rest) : null);
    if (!rest.logs.length) this.pending.delete(key);
  }

  /**
   * An entry failed on its own. When others in the same flush went through (so D1 works), it
   * counts towards being set aside; after SET_ASIDE_AFTER such flushes it leaves the outbox
   * for the `aside` column, with its error, so the entries behind it are not held up.
   */
  private noteRefusedAlone(key: EntryKey, err: unknown, othersWrote: boolean) {
    if (!othersWrote) return;
    const n = (this.refusedAlone.get(key) ?? 0) + 1;
    this.refusedAlone.set(key, n);
    if (n < SET_ASIDE_AFTER) return;
    this.ctx.storage.sql.exec(
      `UPDATE dedupe SET aside = json_object('entry', json(outbox), 'error', ?3), outbox = NULL WHERE ${BY_KEY}`,
      ...keyParts(key),
      (err as Error).message.slice(0, 500),
    );
    this.pending.delete(key);
    this.refusedAlone.delete(key);
    this.reported = true; // listed in relay_state with the next report
    console.error(JSON.stringify({ level: "error", msg: "outbox entry set aside", dedupe_key: keyParts(key)[1], error: (err as Error).message }));
  }
}
