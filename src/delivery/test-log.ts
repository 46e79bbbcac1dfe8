import { insertAttemptsStatements } from "../db/attempts";
import { insertFinishedDeliveryStatement } from "../db/deliveries-create";
import type { DestinationRow } from "../db/destinations";
import { insertEventsStatements } from "../db/events";
import { newId } from "../lib/ids";
import type { AttemptOutcome } from "./send";
import type { CanonicalEvent } from "../events/canonical";

/** The synthetic source of destination tests, as their `test.ping` event names it. */
const TEST_SOURCE_ID = "shiprelay";

/**
 * Records a destination test in the log, marked as a test (`test.ping`, `livemode: false`):
 * its event, a delivery already finished (`succeeded` or `failed`, one attempt, never retried)
 * and that attempt — on the delivery row when it succeeded, as an attempt row when it failed,
 * as for any first attempt. One D1 batch; retention purges it like any delivery.
 */
export async function recordTestPing(
  env: Env,
  destination: Pick<DestinationRow, "id" | "workspaceId">,
  sent: { event: CanonicalEvent; deliveryId: string; outcome: AttemptOutcome; at: number },
): Promise<void> {
  const { event, deliveryId, outcome, at } = sent;
  const done = at + outcome.durationMs;
  const statements = [
    ...insertEventsStatements(env.DB, [
      {
        id: event.id,
        workspaceId: destination.workspaceId,
        sourceId: TEST_SOURCE_ID,
        type: event.type,
        livemode: false,
        orderKey: null,
        orderReference: null,
        trackingNumber: null,
        sequence: null,
        dedupeKey: `test:${deliveryId}`,
        body: JSON.stringify(event),
        raw: null,
        occurredAt: at,
        createdAt: at,
        request: null,
      },
    ]),
    insertFinishedDeliveryStatement(env.DB, {
      id: deliveryId,
      workspaceId: destination.workspaceId,
      eventId: event.id,
      destinationId: destination.id,
      eventType: event.type,
      status: outcome.ok ? "succeeded" : "failed",
      attemptCount: 1,
      attemptLimit: 1,
      nextAttemptAt: at,
      leaseUntil: null,
      retryRequestedAt: null,
      enqueuedAt: null,
      orderKey: null,
      sequence: null,
      lastStatusCode: outcome.statusCode,
      lastError: outcome.error,
      replayId: null,
      createdAt: at,
      updatedAt: done,
      completedAt: done,
      firstAttemptAt: outcome.ok ? at : null,
      firstDurationMs: outcome.ok ? outcome.durationMs : null,
      firstUrl: outcome.ok ? outcome.url : null,
      firstStatusCode: outcome.ok ? outcome.statusCode : null,
      firstResponseBody: outcome.ok ? outcome.responseBody : null,
    }),
    ...(outcome.ok
      ? []
      : insertAttemptsStatements(env.DB, [
          {
            id: newId("att", at),
            deliveryId,
            workspaceId: destination.workspaceId,
            destinationId: destination.id,
            attempt: 1,
            at,
            url: outcome.url,
            statusCode: outcome.statusCode,
            durationMs: outcome.durationMs,
            error: outcome.error,
            responseBody: outcome.responseBody,
            succeeded: false,
          },
        ])),
  ];
  await env.DB.batch(statements);
}
