import type { CanonicalEvent } from "../events/canonical";
import type { RoutingDestination, WorkspaceRouting } from "../db/destinations";
import type { IngestLogEntry } from "../db/ingest-log";
import type { SourceConfig } from "../db/sources";
import { orderShards } from "../lib/config";
import { newId } from "../lib/ids";
import { eventIdOf } from "../events/ids";
import { dedupeKeyOf, orderKeyOf, sequencerName } from "../orders/identity";
import type { CommitRequest, Committed, PreparedEvent } from "../orders/sequencer";
import type { NormalizedEvent } from "./providers/types";

export type { RoutingDestination };

export interface CommitInput {
  source: SourceConfig;
  /** The workspace's routing as the caller holds it (cached config), handed to the order object's outbox; null = none at hand. */
  routing: WorkspaceRouting | null;
  events: NormalizedEvent[];
  /** The provider's payload as received, stored with each event. */
  raw: string;
  /** The parsed body: the dedupe basis of a single event without a provider id. */
  parsed: unknown;
  receivedAt: number;
  /** The request's ingest-log row (without result/events); null when the caller records it. */
  log: Omit<IngestLogEntry, "result" | "eventIds"> | null;
}

export interface CommittedEvents extends Committed {
  duplicate: boolean;
}

/**
 * Gives normalized events their identity and commits them through the order Durable Objects
 * (src/orders/sequencer.ts holds the invariant): when this resolves, every event is durable
 * in its order object, whose outbox feeds D1 and the delivery queue and decides the fan-out
 * (src/orders/outbox.ts). Throws when any group failed to commit: the caller answers 5xx and
 * the provider's retry completes the rest (what did commit is then a duplicate).
 */
export async function commitEvents(env: Env, input: CommitInput): Promise<CommittedEvents> {
  const { source } = input;
  const createdAt = input.receivedAt;
  const shards = orderShards(env);
  // One commit per (order object, order key): an object serializes per order key.
  const groups = new Map<string, { name: string; orderKey: string | null; events: PreparedEvent[] }>();
  const order: string[] = [];

  for (const ev of input.events) {
    const basis = input.events.length === 1 ? input.parsed : { ...ev, provider_event_id: undefined, dedupe_basis: undefined };
    const dedupeKey = await dedupeKeyOf(ev, basis);
    const id = await eventIdOf(source.workspaceId, source.id, dedupeKey);
    const orderKey = orderKeyOf(ev);
    const occurredAt = ev.occurred_at ? Date.parse(ev.occurred_at) : createdAt;
    const canonical: Omit<CanonicalEvent, "sequence"> = {
      id,
      type: ev.type,
      livemode: ev.livemode,
      created_at: new Date(createdAt).toISOString(),
      occurred_at: new Date(Number.isNaN(occurredAt) ? createdAt : occurredAt).toISOString(),
      source: {
        id: source.id,
        provider: source.provider,
        event: ev.source_event,
        ...(ev.version ? { version: ev.version } : {}),
      },
      ...(ev.order ? { order: ev.order } : {}),
      ...(ev.shipment ? { shipment: ev.shipment } : {}),
      ...(ev.tracking ? { tracking: ev.tracking } : {}),
      ...(ev.inventory ? { inventory: ev.inventory } : {}),
      data: ev.data,
    };
    const prepared: PreparedEvent = {
      id,
      dedupeKey: `${source.id}:${dedupeKey}`,
      type: ev.type,
      livemode: ev.livemode,
      // As orderKeyOf reads them: an empty reference or number is none (so a stored reference
      // always comes with its `order:` key, and a stored tracking number with a key).
      orderReference: ev.order?.reference || null,
      trackingNumber: ev.shipment?.tracking_number || null,
      occurredAt: Number.isNaN(occurredAt) ? createdAt : occurredAt,
      createdAt,
      canonical,
    };
    const name = sequencerName(source.workspaceId, orderKey, id, shards);
    const groupKey = `${name}\u0000${orderKey ?? ""}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { name, orderKey, events: [] };
      groups.set(groupKey, group);
      order.push(groupKey);
    }
    group.events.push(prepared);
  }

  const single = order.length === 1;
  const stubs = order.map((groupKey) => env.ORDERS.get(env.ORDERS.idFromName(groups.get(groupKey)!.name)));
  const results = await Promise.allSettled(
    order.map((groupKey, i) => {
      const group = groups.get(groupKey)!;
      const req: CommitRequest = {
        workspaceId: source.workspaceId,
        sourceId: source.id,
        orderKey: group.orderKey,
        routing: input.routing,
        raw: input.raw,
        events: group.events,
        log: single ? input.log : null,
      };
      return stubs[i]!.commit(req);
    }),
  );
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const committed = (results as PromiseFulfilledResult<Committed>[]).map((r) => r.value);

  // Event ids back in the order the provider sent them (`committed` follows the groups' order).
  const eventIds: string[] = [];
  const fresh: string[] = [];
  const duplicates: string[] = [];
  for (const r of committed) {
    eventIds.push(...r.eventIds);
    fresh.push(...r.fresh);
    duplicates.push(...r.duplicates);
  }
  const duplicate = fresh.length === 0 && eventIds.length > 0;
  const configVersion = Math.max(-1, ...committed.map((r) => r.configVersion ?? -1));
  if (!single && input.log) {
    // A body whose events went to several order objects: its one log row rides on the first
    // event, once every group's outcome is known (the only case with a second call before the 2xx).
    const firstGroup = groups.get(order[0]!)!;
    await stubs[0]!.appendLog(firstGroup.orderKey, firstGroup.events[0]!.dedupeKey, { ...input.log, result: duplicate ? "duplicate" : "accepted", eventIds });
  }
  return { eventIds, fresh, duplicates, duplicate, configVersion: configVersion < 0 ? null : configVersion };
}

export const newIngestLogId = (now: number) => newId("ilg", now);
