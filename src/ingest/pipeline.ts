import type { CanonicalEvent } from "../events/canonical";
import type { RoutingDestination } from "../db/destinations";
import { insertIngestLogStatement, type IngestLogEntry } from "../db/ingest-log";
import type { SourceConfig } from "../db/sources";
import { STALE_CONFIG, type StaleConfig } from "../db/workspaces";
import { routes } from "../delivery/routing";
import { orderShards } from "../lib/config";
import { newId } from "../lib/ids";
import { deliveryIdOf, eventIdOf } from "../events/ids";
import { dedupeKeyOf, orderKeyOf, sequencerName } from "../orders/identity";
import type { CommitRequest, Committed, PreparedEvent } from "../orders/sequencer";
import type { NormalizedEvent } from "./providers/types";

export type { RoutingDestination };

export interface CommitInput {
  source: SourceConfig;
  destinations: RoutingDestination[];
  /** The workspace config version the destinations were read at; the commit is refused if it moved. */
  configVersion: number | null;
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
 * Gives normalized events their identity and fan-out, and commits them through the order
 * Durable Objects (src/orders/sequencer.ts holds the invariant). Throws when any group
 * failed to commit: the caller answers 5xx and the provider's retry completes the rest.
 * `stale_config` when a group's fan-out came from an old config version (only possible with
 * a `configVersion`): the caller redoes it on fresh config.
 */
export async function commitEvents(env: Env, input: CommitInput): Promise<CommittedEvents | StaleConfig> {
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
    const deliveries: PreparedEvent["deliveries"] = [];
    for (const dest of input.destinations) {
      if (!routes(dest, { type: ev.type, sourceId: source.id, canonical })) continue;
      deliveries.push({
        id: await deliveryIdOf(id, dest.id),
        destinationId: dest.id,
        attemptLimit: dest.maxAttempts,
        hold: dest.status !== "active",
      });
    }
    const prepared: PreparedEvent = {
      id,
      dedupeKey: `${source.id}:${dedupeKey}`,
      type: ev.type,
      livemode: ev.livemode,
      orderReference: ev.order?.reference ?? null,
      trackingNumber: ev.shipment?.tracking_number ?? null,
      occurredAt: Number.isNaN(occurredAt) ? createdAt : occurredAt,
      createdAt,
      canonical,
      deliveries,
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
  const results = await Promise.allSettled(
    order.map((groupKey) => {
      const group = groups.get(groupKey)!;
      const req: CommitRequest = {
        workspaceId: source.workspaceId,
        sourceId: source.id,
        orderKey: group.orderKey,
        configVersion: input.configVersion,
        raw: input.raw,
        events: group.events,
        log: single ? input.log : null,
      };
      return env.ORDERS.get(env.ORDERS.idFromName(group.name)).commit(req);
    }),
  );
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const committed: Committed[] = [];
  for (const r of results as PromiseFulfilledResult<Committed | StaleConfig>[]) {
    if (r.value === STALE_CONFIG) return STALE_CONFIG;
    committed.push(r.value);
  }

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
  if (!single && input.log) {
    await insertIngestLogStatement(env.DB, { ...input.log, result: duplicate ? "duplicate" : "accepted", eventIds }).run();
  }
  return { eventIds, fresh, duplicates, duplicate };
}

export const newIngestLogId = (now: number) => newId("ilg", now);
