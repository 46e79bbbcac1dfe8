import { insertAttemptsStatements, type NewAttempt } from "../db/attempts";
import { finishStatements, reopenedByFinish, type Finish } from "../db/deliveries";
import { clearFailuresStatement, countFailureStatement, disableStatement, type DestinationRow } from "../db/destinations";
import { countFinishedStatement } from "../db/replays";
import { newId } from "../lib/ids";
import { autoDisablePolicy } from "./auto-disable";
import type { DispatchResult } from "./dispatch";
import { enqueueEach, type DelayedMessage } from "./messages";
import { releaseNext } from "./ordering";
import { relayEventWrite, relaySubscribers, type RelayEventWrite } from "./relay-events";
import { retryDelaySeconds } from "./retry-policy";
import { isRelayType } from "./routing";

/** What the consumer knows of the delivery whose attempt it records. */
export interface AttemptedDelivery {
  id: string;
  workspaceId: string;
  eventId: string;
  eventType: string;
  destinationId: string;
  attemptLimit: number;
  orderKey: string | null;
  /** The replay this attempt was queued by, whose counters it moves when final. */
  replayId: string | null;
}

/** One attempt made, to be recorded. */
export interface MadeAttempt {
  delivery: AttemptedDelivery;
  destination: DestinationRow;
  attempt: number;
  result: DispatchResult;
  /** When the attempt finished (unix ms). */
  now: number;
}

export type RecordedStatus = "succeeded" | "retrying" | "failed";

/** One attempt's share of the record: its state change, its own statements, and what follows it. */
interface PreparedRecord {
  made: MadeAttempt;
  status: RecordedStatus;
  /** Seconds until the next attempt (retrying only). */
  delay: number;
  /** Statements only this attempt needs (replay counter, destination health, relay events). */
  statements: D1PreparedStatement[];
  /** Index in `statements` of the auto-disable statement, when there is one. */
  disableAt: number | null;
  relayWrites: { write: RelayEventWrite; guarded: boolean }[];
}

/**
 * Records the attempts of one consumer batch: for each, the attempt row, the delivery's new
 * state, the destination's health (failure counters, auto-disable), the replay it belongs
 * to, and the relay events it causes — all in one D1 batch, so none of them is ever recorded
 * without the others. The attempt rows and the delivery updates of the whole batch are one
 * statement each (rows from a JSON parameter); a first attempt that succeeded is kept on its
 * delivery's row, so the common case — first-time successes — costs one statement and no
 * attempt row however many deliveries the batch holds. Then it queues what follows, in one
 * send: next attempts, the relay events' deliveries; and releases per-order successors.
 *
 * If the batch fails, each attempt is recorded again on its own, so one bad row cannot
 * fail the others. If the process dies after the batch, the queue sends are what is lost;
 * the deliveries are then `pending`/`retrying` with a stale `enqueued_at`, which the
 * housekeeping sweep resends. Never the other way round.
 */
export async function recordAttempts(env: Env, made: MadeAttempt[]): Promise<PromiseSettledResult<RecordedStatus>[]> {
  if (made.length === 0) return [];
  let prepared: PreparedRecord[];
  try {
    const subscribers = subscriberLookup(env);
    prepared = await Promise.all(made.map((m) => prepareRecord(env, m, subscribers)));
  } catch (err) {
    return made.map(() => ({ status: "rejected", reason: err }));
  }

  const db = env.DB;
  // A first attempt that succeeded is recorded on its delivery's row (finishRow), not as an attempt row.
  const attemptRows = insertAttemptsStatements(db, prepared.filter((p) => !isFirstSuccess(p)).map(attemptRow));
  const deliveryRows = finishStatements(db, prepared.map(finishRow));
  const own = prepared.flatMap((p) => p.statements);
  // Replay counters read the delivery's replay_id, so they run before the update that clears it.
  const statements = [...attemptRows, ...own, ...deliveryRows];

  let results: D1Result[];
  try {
    results = await db.batch(statements);
  } catch (err) {
    if (made.length === 1) return [{ status: "rejected", reason: err }];
    const alone = await Promise.all(made.map((m) => recordAttempts(env, [m])));
    return alone.map((r) => r[0]!);
  }

  // Each attempt's own statement results, to read its disable statement's answer.
  let offset = attemptRows.length;
  const disabled = prepared.map((p) => {
    const mine = results.slice(offset, offset + p.statements.length);
    offset += p.statements.length;
    return p.disableAt !== null && (mine[p.disableAt]?.results.length ?? 0) > 0;
  });

  const messages: DelayedMessage[] = [];
  const releases: Promise<void>[] = [];
  // Reopened by a manual retry asked for while this attempt was in flight: the next attempt goes now.
  const reopened = reopenedByFinish(results.slice(results.length - deliveryRows.length));
  prepared.forEach((p, i) => {
    const { delivery, destination, attempt, now } = p.made;
    if (disabled[i]) console.log(JSON.stringify({ level: "warn", msg: "destination disabled", destination_id: destination.id }));
    const again = reopened.has(delivery.id);
    if (again || p.status === "retrying") messages.push({ body: { delivery_id: delivery.id, attempt: attempt + 1 }, delaySeconds: again ? 0 : p.delay });
    for (const { write, guarded } of p.relayWrites) {
      if (!guarded || disabled[i]) for (const body of write.messages) messages.push({ body, delaySeconds: 0 });
    }
    if (!again && p.status !== "retrying" && destination.ordering === "per_order" && delivery.orderKey !== null) {
      releases.push(releaseNext(env, destination.id, delivery.orderKey, now));
    }
  });
  const follow = await Promise.allSettled([enqueueEach(env.DELIVERIES, messages), ...releases]);
  const followFailure = follow.find((f) => f.status === "rejected");
  // Recorded either way; a lost follow-up is the sweep's to resend, but the caller should know.
  if (followFailure) return prepared.map(() => followFailure);
  return prepared.map((p) => ({ status: "fulfilled", value: p.status }));
}

/** The workspace's relay.* subscribers, read at most once per workspace per batch. */
function subscriberLookup(env: Env): (workspaceId: string) => Promise<DestinationRow[]> {
  const seen = new Map<string, Promise<DestinationRow[]>>();
  return (workspaceId) => {
    let found = seen.get(workspaceId);
    if (!found) {
      found = relaySubscribers(env, workspaceId);
      seen.set(workspaceId, found);
    }
    return found;
  };
}

async function prepareRecord(
  env: Env,
  made: MadeAttempt,
  subscribersOf: (workspaceId: string) => Promise<DestinationRow[]>,
): Promise<PreparedRecord> {
  const { delivery, destination, attempt, result, now } = made;
  const { outcome, gone } = result;
  const db = env.DB;
  const exhausted = attempt >= delivery.attemptLimit;
  const status: RecordedStatus = outcome.ok ? "succeeded" : exhausted ? "failed" : "retrying";
  const final = status !== "retrying";
  const delay = status === "retrying" ? retryDelaySeconds(destination.scheduleSeconds, attempt, outcome.retryAfterSeconds) : 0;

  const statements: D1PreparedStatement[] = [];
  if (final && delivery.replayId) statements.push(countFinishedStatement(db, delivery.id, status === "succeeded", now));

  // Health: a success clears the failure record; a failure extends it (a delivery failed for good counts once).
  if (outcome.ok) {
    if (destination.consecutiveFailures > 0 || destination.failingSince !== null) statements.push(clearFailuresStatement(db, destination.id));
  } else {
    statements.push(countFailureStatement(db, destination.id, status === "failed", now));
  }
  let disableAt: number | null = null;
  if (!outcome.ok) {
    disableAt = statements.length;
    statements.push(disableStatement(db, destination.id, autoDisablePolicy(env, destination), gone ? { statusCode: outcome.statusCode! } : null, now));
  }

  // Relay events report what happened to customer traffic only: what befalls the delivery
  // of a relay event emits nothing, so a failing relay.* subscriber cannot feed itself.
  const relayWrites: PreparedRecord["relayWrites"] = [];
  if (!outcome.ok && !isRelayType(delivery.eventType)) {
    const subscribers = await subscribersOf(delivery.workspaceId);
    if (subscribers.length > 0) {
      if (status === "failed") {
        const write = await relayEventWrite(
          env,
          {
            workspaceId: delivery.workspaceId,
            type: "relay.delivery.failed",
            dedupeKey: `delivery.failed:${delivery.id}:${attempt}`,
            now,
            data: {
              delivery_id: delivery.id,
              event_id: delivery.eventId,
              event_type: delivery.eventType,
              destination_id: delivery.destinationId,
              attempts: attempt,
              last_status_code: outcome.statusCode,
              last_error: outcome.error,
            },
          },
          subscribers,
        );
        relayWrites.push({ write, guarded: false });
      }
      const write = await relayEventWrite(
        env,
        {
          workspaceId: delivery.workspaceId,
          type: "relay.destination.disabled",
          dedupeKey: `destination.disabled:${destination.id}:${now}`,
          now,
          data: { destination_id: destination.id, disabled_at: new Date(now).toISOString(), reason: null },
          disabledGuard: { destinationId: destination.id },
        },
        subscribers,
      );
      relayWrites.push({ write, guarded: true });
    }
  }
  for (const { write } of relayWrites) statements.push(...write.statements);
  return { made, status, delay, statements, disableAt, relayWrites };
}

function attemptRow(p: PreparedRecord): NewAttempt {
  const { delivery, attempt, result, now } = p.made;
  const o = result.outcome;
  return {
    id: newId("att", now),
    deliveryId: delivery.id,
    workspaceId: delivery.workspaceId,
    destinationId: delivery.destinationId,
    attempt,
    at: now - o.durationMs,
    url: o.url,
    statusCode: o.statusCode,
    durationMs: o.durationMs,
    error: o.error,
    responseBody: o.responseBody,
    succeeded: o.ok,
  };
}

/** Attempt 1 succeeded: what most deliveries ever make, kept on the delivery row (src/db/attempts.ts shows it). */
function isFirstSuccess(p: PreparedRecord): boolean {
  return p.made.attempt === 1 && p.made.result.outcome.ok;
}

function finishRow(p: PreparedRecord): Finish {
  const { delivery, attempt, result, now } = p.made;
  const o = result.outcome;
  const first = isFirstSuccess(p);
  return {
    firstAttemptAt: first ? now - o.durationMs : null,
    firstDurationMs: first ? o.durationMs : null,
    firstUrl: first ? o.url : null,
    firstStatusCode: first ? o.statusCode : null,
    firstResponseBody: first ? o.responseBody : null,
    id: delivery.id,
    status: p.status,
    attemptCount: attempt,
    nextAttemptAt: now + p.delay * 1000,
    lastStatusCode: result.outcome.statusCode,
    lastError: result.outcome.error,
    updatedAt: now,
    completedAt: p.status === "retrying" ? null : now,
  };
}
