import type { DestinationRow } from "../db/destinations";
import { newId } from "../lib/ids";
import { autoDisablePolicy, disableStatement } from "./auto-disable";
import type { DispatchResult } from "./dispatch";
import { enqueueDeliveries, type DeliveryMessage } from "./messages";
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

/**
 * Records one attempt: the attempt row, the delivery's new state, the destination's health
 * (failure counters, auto-disable), the replay it belongs to, and the relay events it causes
 * — all in one D1 batch, so none of them is ever recorded without the others. Then it queues
 * what follows: the next attempt, the relay events' deliveries, the order's next delivery.
 *
 * If the process dies after the batch, the queue sends are what is lost; the delivery and
 * the relay deliveries are then `pending`/`retrying` with a stale `enqueued_at`, which the
 * housekeeping sweep resends. Never the other way round.
 */
export async function recordAttempt(
  env: Env,
  delivery: AttemptedDelivery,
  destination: DestinationRow,
  attempt: number,
  result: DispatchResult,
  now: number,
): Promise<"succeeded" | "retrying" | "failed"> {
  const { outcome, gone } = result;
  const db = env.DB;
  const exhausted = attempt >= delivery.attemptLimit;
  const status = outcome.ok ? "succeeded" : exhausted ? "failed" : "retrying";
  const final = status !== "retrying";
  const delay = status === "retrying" ? retryDelaySeconds(destination.scheduleSeconds, attempt, outcome.retryAfterSeconds) : 0;
  const nextAt = now + delay * 1000;

  const statements: D1PreparedStatement[] = [
    db
      .prepare(
        `INSERT INTO attempts (id, delivery_id, workspace_id, destination_id, attempt, at, url, status_code, duration_ms, error, response_body, succeeded)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)`,
      )
      .bind(
        newId("att", now),
        delivery.id,
        delivery.workspaceId,
        delivery.destinationId,
        attempt,
        now - outcome.durationMs,
        outcome.url,
        outcome.statusCode,
        outcome.durationMs,
        outcome.error,
        outcome.responseBody,
        outcome.ok ? 1 : 0,
      ),
  ];
  if (final && delivery.replayId) statements.push(countForReplay(db, delivery.id, status === "succeeded", now));
  statements.push(
    db
      .prepare(
        `UPDATE deliveries SET status = ?2, attempt_count = ?3, lease_until = NULL, next_attempt_at = ?4,
                last_status_code = ?5, last_error = ?6, updated_at = ?7, completed_at = ?8,
                enqueued_at = CASE WHEN ?2 = 'retrying' THEN ?7 ELSE enqueued_at END,
                replay_id = CASE WHEN ?2 = 'retrying' THEN replay_id ELSE NULL END
          WHERE id = ?1`,
      )
      .bind(delivery.id, status, attempt, nextAt, outcome.statusCode, outcome.error, now, final ? now : null),
  );

  // Health: a success clears the failure record; a failure extends it (a delivery failed for good counts once).
  if (outcome.ok) {
    if (destination.consecutiveFailures > 0 || destination.failingSince !== null) {
      statements.push(db.prepare("UPDATE destinations SET consecutive_failures = 0, failing_since = NULL WHERE id = ?1").bind(destination.id));
    }
  } else {
    statements.push(
      db
        .prepare(
          `UPDATE destinations SET consecutive_failures = consecutive_failures + ?2, failing_since = coalesce(failing_since, ?3)
            WHERE id = ?1`,
        )
        .bind(destination.id, status === "failed" ? 1 : 0, now),
    );
  }
  const disableAt = statements.length;
  if (!outcome.ok) {
    statements.push(disableStatement(db, destination.id, autoDisablePolicy(env, destination), gone ? { statusCode: outcome.statusCode! } : null, now));
  }

  // Relay events report what happened to customer traffic only: what befalls the delivery
  // of a relay event emits nothing, so a failing relay.* subscriber cannot feed itself.
  const relayWrites: { write: RelayEventWrite; guarded: boolean }[] = [];
  if (!outcome.ok && !isRelayType(delivery.eventType)) {
    const subscribers = await relaySubscribers(env, delivery.workspaceId);
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

  const results = await db.batch(statements);
  const disabled = !outcome.ok && (results[disableAt]?.results.length ?? 0) > 0;
  if (disabled) {
    console.log(JSON.stringify({ level: "warn", msg: "destination disabled", destination_id: destination.id }));
  }

  const follow: Promise<void>[] = [];
  if (status === "retrying") {
    follow.push(enqueueDeliveries(env.DELIVERIES, [{ delivery_id: delivery.id, attempt: attempt + 1 }], delay));
  }
  const relayMessages: DeliveryMessage[] = relayWrites.flatMap(({ write, guarded }) => (!guarded || disabled ? write.messages : []));
  if (relayMessages.length > 0) follow.push(enqueueDeliveries(env.DELIVERIES, relayMessages));
  if (final && destination.ordering === "per_order" && delivery.orderKey !== null) {
    follow.push(releaseNext(env, destination.id, delivery.orderKey, now));
  }
  await Promise.all(follow);
  return status;
}

/**
 * A replayed delivery's attempt finished: count it on its replay. Runs before the delivery
 * update that clears `replay_id`, in the same batch, so each replayed delivery counts once.
 */
function countForReplay(db: D1Database, deliveryId: string, succeeded: boolean, now: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE replays SET succeeded = succeeded + ?2, failed = failed + ?3, updated_at = ?4
        WHERE id = (SELECT replay_id FROM deliveries WHERE id = ?1)`,
    )
    .bind(deliveryId, succeeded ? 1 : 0, succeeded ? 0 : 1, now);
}
