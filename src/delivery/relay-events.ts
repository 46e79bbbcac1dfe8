import { dbOf } from "../db/client";
import { insertRelayDeliveryStatement } from "../db/deliveries-create";
import { insertRelayEventStatement } from "../db/events";
import { relaySubscriberRows, type DestinationRow } from "../db/destinations";
import type { CanonicalEvent, RelayEventType } from "../events/canonical";
import { deliveryIdOf, eventIdOf } from "../events/ids";
import type { DeliveryMessage } from "./messages";
import { RELAY_SOURCE_ID, routes } from "./routing";

/**
 * The relay's own operational events (`relay.destination.disabled`, `relay.delivery.failed`):
 * stored as ordinary events of the workspace (source `relay`) and delivered through the
 * ordinary path to the destinations that subscribed to them (src/delivery/routing.ts).
 *
 * Their rows are written in the same D1 batch as the state change they report, so the
 * change is never recorded without its event; ids derive from what happened (the dedupe
 * key), so writing them twice stores them once. They never recurse: what happens to the
 * delivery of a relay event emits nothing (see src/delivery/record.ts).
 */
export interface RelayEventSpec {
  workspaceId: string;
  type: RelayEventType;
  /** Identity of the occurrence, e.g. `delivery.failed:<delivery id>:<attempt>`. */
  dedupeKey: string;
  data: Record<string, unknown>;
  now: number;
  /**
   * For `relay.destination.disabled`: write the event only if this destination was disabled
   * at `now` — i.e. only if the batch's disable statement won the transition — and take the
   * reason from the row it wrote.
   */
  disabledGuard?: { destinationId: string };
}

/** The workspace's destinations that may take relay events (any status: inactive ones hold them). */
export function relaySubscribers(env: Env, workspaceId: string): Promise<DestinationRow[]> {
  return relaySubscriberRows(dbOf(env), workspaceId);
}

/**
 * True without a guard (the guard parameter null); with one, only for the disable this batch
 * made: the guarded destination is disabled and stamped with this batch's time.
 */
const guardSql = (guardParam: string, timeParam: string) =>
  `(${guardParam} IS NULL OR EXISTS (SELECT 1 FROM destinations g WHERE g.id = ${guardParam} AND g.status = 'disabled' AND g.disabled_at = ${timeParam}))`;


export interface RelayEventWrite {
  eventId: string;
  statements: D1PreparedStatement[];
  /** To send once the batch committed (and, with a guard, only if the guard held). */
  messages: DeliveryMessage[];
}

/** Builds the statements that store one relay event and its deliveries. */
export async function relayEventWrite(env: Env, spec: RelayEventSpec, subscribers: DestinationRow[]): Promise<RelayEventWrite> {
  const db = env.DB;
  const eventId = await eventIdOf(spec.workspaceId, RELAY_SOURCE_ID, spec.dedupeKey);
  const at = new Date(spec.now).toISOString();
  const canonical: CanonicalEvent = {
    id: eventId,
    type: spec.type,
    livemode: true,
    created_at: at,
    occurred_at: at,
    sequence: null,
    source: { id: RELAY_SOURCE_ID, provider: "shiprelay", event: spec.type.slice("relay.".length) },
    data: spec.data,
  };
  const targets = subscribers.filter((d) => routes(d, { type: spec.type, sourceId: RELAY_SOURCE_ID, canonical }));
  if (targets.length === 0) return { eventId, statements: [], messages: [] };

  const guardId = spec.disabledGuard?.destinationId ?? null;
  const statements: D1PreparedStatement[] = [
    insertRelayEventStatement(
      db,
      { id: eventId, workspaceId: spec.workspaceId, sourceId: RELAY_SOURCE_ID, type: spec.type, dedupeKey: `${RELAY_SOURCE_ID}:${spec.dedupeKey}`, body: JSON.stringify(canonical), now: spec.now },
      guardSql("?8", "?5"),
      guardId,
    ),
  ];
  const messages: DeliveryMessage[] = [];
  for (const dest of targets) {
    const id = await deliveryIdOf(eventId, dest.id);
    // The destination being disabled by this very batch holds its copy until re-enabled.
    const hold = dest.status !== "active" || dest.id === guardId;
    statements.push(
      insertRelayDeliveryStatement(
        db,
        {
          id,
          workspaceId: spec.workspaceId,
          eventId,
          destinationId: dest.id,
          eventType: spec.type,
          attemptLimit: dest.maxAttempts,
          enqueuedAt: hold ? null : spec.now,
          now: spec.now,
        },
        guardSql("?9", "?7"),
        guardId,
      ),
    );
    if (!hold) messages.push({ delivery_id: id, attempt: 1 });
  }
  return { eventId, statements, messages };
}
