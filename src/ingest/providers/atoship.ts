import { z } from "zod";
import { carrierCode, compact, isoDate, isoTimestamp, money, str, trackingSection } from "../../events/normalize";
import type { TrackingStatus } from "../../events/canonical";
import { AdapterParseError, type NormalizedEvent, type ProviderAdapter } from "./types";
import { parsePayload } from "./parse";

/**
 * AtoShip webhooks. Proof of origin: `X-AtoShip-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`;
 * the seed's own sender signs `JSON.stringify(JSON.parse(body))`, so that form is accepted too
 * (shared/design/PROVIDERS.md). Envelope `{event, timestamp, data}`; the SDKs also show
 * `{type, data}` — both are read.
 */
const envelopeSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  event: z.string().optional(),
  type: z.string().optional(),
  timestamp: z.union([z.string(), z.number()]).optional(),
  created_at: z.union([z.string(), z.number()]).optional(),
  livemode: z.boolean().optional(),
  environment: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});

const TYPE_MAP: Record<string, { type: string; status?: TrackingStatus }> = {
  "label.created": { type: "label.created" },
  "label.voided": { type: "label.voided" },
  "shipment.in_transit": { type: "tracking.updated", status: "in_transit" },
  "shipment.delivered": { type: "tracking.updated", status: "delivered" },
  "shipment.exception": { type: "tracking.updated", status: "exception" },
  "order.imported": { type: "order.imported" },
  "order.fulfilled": { type: "order.shipped" },
  "order.canceled": { type: "order.canceled" },
  "order.cancelled": { type: "order.canceled" },
};

/** Fields the canonical event carries elsewhere; everything else stays in `data`. */
const MAPPED_FIELDS = new Set([
  "order_id",
  "order_number",
  "tracking_number",
  "carrier",
  "service",
  "label_id",
  "ship_date",
  "status_detail",
  "estimated_delivery",
]);

export const atoshipAdapter: ProviderAdapter = {
  provider: "atoship",
  verificationPreset: {
    type: "hmac",
    header: "x-atoship-signature",
    algorithm: "sha256",
    encoding: "hex",
    prefix: "sha256=",
    key_normalization: "none",
    allow_reserialized: true,
  },
  normalize({ body }) {
    const env = parsePayload(envelopeSchema, body, { what: "not an AtoShip event", field: "data" });
    const name = env.event ?? env.type;
    if (!name) throw new AdapterParseError("event (or type) is required", "event");
    const d = env.data;
    const mapping = TYPE_MAP[name];
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(d)) if (!MAPPED_FIELDS.has(k)) rest[k] = v;

    const event: NormalizedEvent = {
      type: mapping?.type ?? "provider.unmapped",
      livemode: env.livemode ?? (env.environment ? env.environment !== "test" && env.environment !== "sandbox" : true),
      occurred_at: isoTimestamp(env.timestamp ?? env.created_at),
      source_event: name,
      order: compact({ reference: str(d.order_id), number: str(d.order_number) }),
      shipment: compact({
        tracking_number: str(d.tracking_number),
        carrier: carrierCode(d.carrier),
        service: str(d.service),
        label_id: str(d.label_id),
        ship_date: isoDate(d.ship_date),
        cost: money(d.rate ?? d.cost, d.currency),
      }),
      data: rest,
      provider_event_id: env.id !== undefined ? String(env.id) : undefined,
    };
    if (mapping?.status) {
      event.tracking = trackingSection(mapping.status, {
        status_detail: d.status_detail,
        estimated_delivery: d.estimated_delivery,
      });
    }
    return { kind: "events", events: [event] };
  },
};
