import type { CanonicalEvent } from "../events/canonical";
import type { RoutingDestination } from "../db/destinations";
import type { SourceConfig } from "../db/sources";
import { routes } from "../delivery/routing";
import { orderShards } from "../lib/config";
import { newId } from "../lib/ids";
import { deliveryIdOf, eventIdOf } from "../events/ids";
import { dedupeKeyOf, orderKeyOf, sequencerName } from "../orders/identity";
import type { CommitRequest, CommitResult, PreparedEvent } from "../orders/sequencer";
import { insertIngestLogStatement, type IngestLogEntry } from "./ingest-log";
import type { NormalizedEvent } from "./providers/types";

export type { RoutingDestination };

export interface AcceptInput {
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

export interface AcceptResult extends CommitResult {
  duplicate: boolean;
}

/**
 * Gives normalized events their identity and fan-out, and commits them through the order
 * Durable Objects (src/orders/sequencer.ts holds the invariant). Throws when any group
 * failed to commit: the caller answers 5xx and the provider's retry completes the rest.
 */
export async function acceptEvents(env: Env, input: AcceptInput): Promise<AcceptResult> {
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
  if (results.some((r) => r.status === "fulfilled" && r.value.staleConfig)) throw new StaleConfigError();

  // Event ids back in the order the provider sent them.
  const byGroup = new Map(order.map((name, i) => [name, (results[i] as PromiseFulfilledResult<CommitResult>).value]));
  const eventIds: string[] = [];
  const fresh: string[] = [];
  const duplicates: string[] = [];
  for (const name of order) {
    const r = byGroup.get(name)!;
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

/** A commit was refused because the destinations it fanned out to were read at an old config version. */
export class StaleConfigError extends Error {
  constructor() {
    super("stale_config: the workspace's sources or destinations changed since they were read");
  }
}

export const newIngestLogId = (now: number) => newId("ilg", now);
