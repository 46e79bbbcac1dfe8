import type { Db } from "../db/client";
import type { DeliveryFilter } from "../db/deliveries-reads";
import { destinationIdsByUrl } from "../db/destinations";
import { DELIVERY_STATUSES } from "../db/schema";
import { checkedValues, typeValues, values } from "../lib/filters";

/**
 * The delivery list's filters by their API names (CONTRACT.md, Additions, "Filters"), as the
 * list (`GET /v1/deliveries`), the bulk resend (`POST /v1/deliveries/retry` `{"filter"}`) and
 * the console's log read them: comma lists, `prefix.*` types, `destination_url`.
 */
export interface DeliveryQuery {
  destination?: string | undefined;
  destination_url?: string | undefined;
  event?: string | undefined;
  type?: string | undefined;
  status?: string | undefined;
  /** Of the events' own fields: source ids, order references, tracking numbers (comma lists). */
  source?: string | undefined;
  order?: string | undefined;
  tracking_number?: string | undefined;
  /** Unix ms, inclusive / exclusive. */
  since?: number | undefined;
  until?: number | undefined;
}

/** The query as the reads take it: `destination_url` becomes the ids of the workspace's destinations at those URLs (with `destination`, both must hold). */
export async function deliveryFilterOf(db: Db, workspaceId: string, q: DeliveryQuery): Promise<DeliveryFilter> {
  let destinationIds = values(q.destination);
  const urls = values(q.destination_url);
  if (urls) {
    const byUrl = await destinationIdsByUrl(db, workspaceId, urls);
    destinationIds = destinationIds ? destinationIds.filter((id) => byUrl.includes(id)) : byUrl;
  }
  return {
    destinationIds,
    eventId: q.event || undefined,
    eventTypes: typeValues("type", q.type),
    statuses: checkedValues("status", q.status, DELIVERY_STATUSES),
    sources: values(q.source),
    orders: values(q.order),
    trackingNumbers: values(q.tracking_number),
    since: q.since,
    until: q.until,
  };
}
