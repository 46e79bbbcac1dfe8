import { and, eq, or, sql, type Column, type SQL } from "drizzle-orm";
import { orderKeyOfReference } from "../events/ids";
import { events } from "./schema";
import { orderKeysOfTrackingNumbers } from "./tracking-numbers";
import { inIds } from "./where";

/**
 * Finding events by order reference or tracking number: one rule for the events list, an
 * order's timeline and the deliveries list's event-side filters (src/db/events.ts,
 * src/db/deliveries-reads.ts), so neither of those imports the other for it.
 */

/** Order references and tracking numbers to find events by (eventsOf). */
export interface OrderLookup {
  orders?: readonly string[] | undefined;
  trackingNumbers?: readonly string[] | undefined;
}

/** `column = value`, or `IN` one bound JSON array for several. */
const anyOf = (column: Column, values: readonly string[]) => (values.length === 1 ? eq(column, values[0]!) : inIds(column, [...values]));

/**
 * The one rule for finding a workspace's events by order reference or tracking number, on
 * events_workspace_order_key (src/db/tables/events.ts); every reader takes it with eventsFrom:
 * - reference R: `order_key = 'order:R'` — an event has an order reference exactly when its
 *   order key is `order:<reference>` (src/orders/identity.ts, orderKeyOf);
 * - tracking number X: the order keys `tracking_numbers` lists for X, and of their events
 *   those with X (an order's shipments may have other numbers).
 * `match: "all"` (list filters) wants both kinds when both are given, `"any"` (an order's
 * timeline) either. Undefined when `by` has neither. The events must also be of `workspaceId`.
 */
export function eventsOf(workspaceId: string, by: OrderLookup, match: "all" | "any"): SQL | undefined {
  const refs = by.orders?.filter(Boolean) ?? [];
  const numbers = by.trackingNumbers?.filter(Boolean) ?? [];
  const ofOrders = refs.length ? anyOf(events.orderKey, refs.map(orderKeyOfReference)) : undefined;
  const ofNumbers = numbers.length
    ? and(sql`${events.orderKey} in (${orderKeysOfTrackingNumbers(workspaceId, numbers)})`, anyOf(events.trackingNumber, numbers))
    : undefined;
  return match === "all" ? and(ofOrders, ofNumbers) : or(ofOrders, ofNumbers);
}

/**
 * `events` as a FROM, through events_workspace_order_key when `by` looks up orders: with an
 * `IN` over order keys that index cannot give the list's order, and SQLite then prefers walking
 * the whole workspace on events_workspace_created, which needs no sort. An order's events are
 * few; sorting them is cheap, walking a workspace is not.
 */
export function eventsFrom(by: OrderLookup): SQL {
  const lookup = !!(by.orders?.some(Boolean) || by.trackingNumbers?.some(Boolean));
  return lookup ? sql`${events} INDEXED BY events_workspace_order_key` : sql`${events}`;
}

