import { z } from "zod";
import {
  carrierCode,
  compact,
  isoDate,
  isoTimestamp,
  list,
  money,
  num,
  omit,
  rec,
  shipmentItems,
  str,
} from "../../events/normalize";
import type { NormalizedEvent, ProviderAdapter } from "./types";
import { parsePayload } from "./parse";

/**
 * ShipEdge OMS/WMS webhooks (https://shipedge-documentation.pages.dev/api/webhooks):
 * events for order status changes (any change, pending, processing, shipped — versions
 * v1…v4 —, canceled, …), shipping methods, fulfillment types, inventory corrections,
 * replenishments, returns and exchanges; per-webhook custom headers or an auth method,
 * optionally a client certificate (../verification/client-cert.ts); 200 within 10 s.
 *
 * The body names its event and version in `event` (`"orders/shipped_v2"`,
 * `"inventory/corrections_v2"`, the seed samples in shared/fixtures). Field lists per event
 * and version are not published; the seed samples are the reference and the mapping reads
 * every field defensively:
 * - orders: `order_reference` (else `order_number`) is the order reference, `order_id` the
 *   id (EVENTS.md "Identity"); `tracking_number`, `carrier`, `shipping_method`,
 *   `shipped_date`, `shipping_cost`, `items[]`; v3-style `packages[]` / `shipments[]` lists
 *   are read for the tracking number when the top level has none.
 * - inventory: `sku`, `location`, `previous_quantity`, `new_quantity`, `reason`.
 * ShipEdge timestamps (`"2024-01-15 10:30:00"`) carry no zone and are read as UTC (assumed).
 * ShipEdge sends no event id: the relay deduplicates on the payload (a hand-made resend of
 * the same payload is a duplicate).
 */

type Rule = { test: RegExp; type: string };

/** Event name (without its `_vN` suffix) → canonical type. First match wins. */
const RULES: Record<string, Rule[]> = {
  orders: [
    { test: /^shipped|^ship_|_shipped$|^fulfilled$/, type: "order.shipped" },
    { test: /^cancel/, type: "order.canceled" },
    { test: /^refund/, type: "order.refunded" },
    { test: /^backorder/, type: "order.backordered" },
    { test: /^divide|^split/, type: "order.divided" },
    { test: /^(created|new|imported|received)$/, type: "order.imported" },
    { test: /^error|^failed$/, type: "order.error" },
    {
      test: /^(updated|updated_by_oms|status_changed?|any_status_change|status|pending|processing|on_hold|hold|released|approved|picked|packed)$/,
      type: "order.updated",
    },
  ],
  inventory: [{ test: /^(corrections?|adjust(ed|ments?)?|mirror(ed)?|updated?|changed?)$/, type: "inventory.adjusted" }],
  replenishments: [
    { test: /^(received|completed|closed)$/, type: "replenishment.received" },
    { test: /^(created|new|initiated|pending|submitted)$/, type: "replenishment.initiated" },
  ],
  returns: [
    { test: /^(received|completed|processed|closed)$/, type: "return.received" },
    { test: /^(created|new|initiated|pending|authorized)$/, type: "return.initiated" },
  ],
};
RULES.order = RULES.orders!;
RULES.replenishment = RULES.replenishments!;
RULES.return = RULES.returns!;
RULES.exchanges = RULES.returns!;
RULES.exchange = RULES.returns!;

const EVENT_NAME = /^([a-z_]+)\/([a-z0-9_]+?)(?:_(v\d+))?$/;

const scalar = z.union([z.string(), z.number()]).nullish();

export const shipedgeEventSchema = z.looseObject({
  event: z.string().min(1),
  account_id: scalar,
  order_id: scalar,
  order_number: scalar,
  order_reference: scalar,
  status: scalar,
  tracking_number: scalar,
  carrier: scalar,
  shipping_method: scalar,
  shipped_date: scalar,
  timestamp: scalar,
  shipping_cost: scalar,
  currency: scalar,
  items: z.array(z.unknown()).nullish(),
  packages: z.array(z.unknown()).nullish(),
  shipments: z.array(z.unknown()).nullish(),
  sku: scalar,
  location: scalar,
  previous_quantity: scalar,
  new_quantity: scalar,
  reason: scalar,
});

/** `"orders/shipped_v2"` → resource, action, version; undefined for names of another form. */
export function parseShipedgeEvent(name: string) {
  const m = EVENT_NAME.exec(name.trim().toLowerCase());
  if (!m) return undefined;
  return { resource: m[1]!, action: m[2]!, version: m[3] };
}

function canonicalType(resource: string, action: string): string {
  for (const rule of RULES[resource] ?? []) if (rule.test.test(action)) return rule.type;
  return "provider.unmapped";
}

/** Fields the canonical event carries; everything else stays in `data`. */
const ORDER_FIELDS = [
  "event",
  "order_id",
  "order_number",
  "order_reference",
  "tracking_number",
  "carrier",
  "shipping_method",
  "shipped_date",
  "shipping_cost",
  "items",
];
const INVENTORY_FIELDS = ["event", "sku", "location", "previous_quantity", "new_quantity", "reason"];

export const shipedgeAdapter: ProviderAdapter = {
  provider: "shipedge",
  verificationPreset: { type: "url_token" },
  normalize({ body }) {
    const e = parsePayload(shipedgeEventSchema, body, { what: "not a ShipEdge webhook", field: "event" });
    const name = parseShipedgeEvent(e.event);
    const type = name ? canonicalType(name.resource, name.action) : "provider.unmapped";
    const version = name?.version;
    const base = { livemode: true, source_event: e.event, ...(version ? { version } : {}) };

    if (type === "provider.unmapped") {
      return { kind: "events", events: [{ ...base, type, data: body as Record<string, unknown>, ...identity(e) }] };
    }
    if (type === "inventory.adjusted") {
      const previous = num(e.previous_quantity);
      const adjustment = num(e.adjustment);
      const next = num(e.new_quantity) ?? num(e.quantity) ?? num(e.available_quantity) ?? num(e.on_hand);
      const event: NormalizedEvent = {
        ...base,
        type,
        occurred_at: isoTimestamp(e.timestamp ?? e.created_at ?? e.updated_at),
        inventory: compact({
          sku: str(e.sku),
          location: str(e.location),
          previous_quantity: previous ?? (next !== undefined && adjustment !== undefined ? next - adjustment : undefined),
          new_quantity: next ?? (previous !== undefined && adjustment !== undefined ? previous + adjustment : undefined),
          reason: str(e.reason),
        }),
        data: omit(e, INVENTORY_FIELDS),
      };
      return { kind: "events", events: [event] };
    }

    // Order, replenishment and return events.
    const pkg = rec(list(e.packages)[0] ?? list(e.shipments)[0]);
    const event: NormalizedEvent = {
      ...base,
      type,
      occurred_at: isoTimestamp(
        (type === "order.shipped" ? e.shipped_date : undefined) ?? e.timestamp ?? e.updated_at ?? e.created_at ?? e.shipped_date,
      ),
      ...identity(e),
      shipment: compact({
        tracking_number: str(e.tracking_number) ?? str(pkg.tracking_number),
        carrier: carrierCode(str(e.carrier) ?? str(pkg.carrier)),
        service: str(e.shipping_method) ?? str(pkg.shipping_method) ?? str(pkg.service),
        ship_date: isoDate(e.shipped_date ?? pkg.shipped_date),
        cost: money(e.shipping_cost ?? pkg.shipping_cost, e.currency),
        items: shipmentItems(e.items),
      }),
      data: omit(e, ORDER_FIELDS),
    };
    return { kind: "events", events: [event] };
  },
};

function identity(e: z.infer<typeof shipedgeEventSchema>): Pick<NormalizedEvent, "order"> {
  const reference = str(e.order_reference) ?? str(e.order_number);
  const number = str(e.order_number);
  const order = compact({
    reference,
    id: str(e.order_id),
    number: number !== reference ? number : undefined,
  });
  return order ? { order } : {};
}
