import { z } from "zod";
import {
  EVENT_TYPES,
  inventorySchema,
  orderSchema,
  shipmentSchema,
  trackingSchema,
} from "../../events/canonical";
import { isRecord, isoTimestamp, str } from "../../events/normalize";
import { getPath } from "../../lib/json-path";
import { AdapterParseError, type NormalizedEvent, type ProviderAdapter } from "./types";

/**
 * Any other platform. Either the body is already canonical-shaped (`type` is a canonical
 * type, with optional `order`, `shipment`, `tracking`, `inventory`, `data`), or the source's
 * `settings` name dotted paths to read: `event_type_path`, `event_id_path`,
 * `order_reference_path`, `tracking_number_path`, `carrier_path`, `occurred_at_path`,
 * `livemode_path` (true / "true" / "live" = live), `test_path` (truthy = a test, e.g.
 * Shippo's `test: true`), and `type_map` (provider event name → canonical type).
 */
export const genericSettingsSchema = z.object({
  event_type_path: z.string().max(200).optional(),
  event_id_path: z.string().max(200).optional(),
  order_reference_path: z.string().max(200).optional(),
  tracking_number_path: z.string().max(200).optional(),
  carrier_path: z.string().max(200).optional(),
  occurred_at_path: z.string().max(200).optional(),
  livemode_path: z.string().max(200).optional(),
  /** A flag that marks test callbacks (Shippo's `test: true`): truthy → livemode false. */
  test_path: z.string().max(200).optional(),
  type_map: z.record(z.string(), z.string()).optional(),
});
export type GenericSettings = z.infer<typeof genericSettingsSchema>;

const canonicalBodySchema = z.object({
  id: z.string().optional(),
  type: z.enum(EVENT_TYPES),
  livemode: z.boolean().optional(),
  occurred_at: z.string().optional(),
  order: orderSchema.optional(),
  shipment: shipmentSchema.optional(),
  tracking: trackingSchema.optional(),
  inventory: inventorySchema.optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

const KNOWN_TYPES = new Set<string>(EVENT_TYPES);

export const genericAdapter: ProviderAdapter = {
  provider: "generic",
  verificationPreset: { type: "url_token" },
  normalize({ body, settings }) {
    if (!isRecord(body)) throw new AdapterParseError("the body must be a JSON object");
    const cfg = genericSettingsSchema.parse(settings ?? {});
    const hasPaths = Object.keys(cfg).length > 0;

    if (!hasPaths) {
      const canonical = canonicalBodySchema.safeParse(body);
      if (!canonical.success) {
        const issue = canonical.error.issues[0];
        throw new AdapterParseError(
          `not a canonical event and the source names no field paths: ${issue?.message ?? "invalid"}`,
          issue?.path.join(".") || "type",
        );
      }
      const c = canonical.data;
      const event: NormalizedEvent = {
        type: c.type,
        livemode: c.livemode ?? true,
        occurred_at: isoTimestamp(c.occurred_at),
        source_event: c.type,
        order: c.order,
        shipment: c.shipment,
        tracking: c.tracking,
        inventory: c.inventory,
        data: c.data ?? {},
        provider_event_id: c.id,
      };
      return { kind: "events", events: [event] };
    }

    const rawType = cfg.event_type_path ? str(getPath(body, cfg.event_type_path)) : undefined;
    if (cfg.event_type_path && rawType === undefined) {
      throw new AdapterParseError(`no event type at ${cfg.event_type_path}`, cfg.event_type_path);
    }
    const mapped = rawType !== undefined ? (cfg.type_map?.[rawType] ?? rawType) : undefined;
    const type = mapped && KNOWN_TYPES.has(mapped) ? mapped : "provider.unmapped";
    const reference = cfg.order_reference_path ? str(getPath(body, cfg.order_reference_path)) : undefined;
    const tracking = cfg.tracking_number_path ? str(getPath(body, cfg.tracking_number_path)) : undefined;
    const carrier = cfg.carrier_path ? str(getPath(body, cfg.carrier_path)) : undefined;
    const livemode = cfg.livemode_path ? getPath(body, cfg.livemode_path) : undefined;
    const testFlag = cfg.test_path ? getPath(body, cfg.test_path) : undefined;
    const isTest = testFlag === true || testFlag === "true" || testFlag === 1 || testFlag === "1";
    const event: NormalizedEvent = {
      type,
      livemode: !isTest && (livemode === undefined ? true : livemode === true || livemode === "true" || livemode === "live"),
      occurred_at: cfg.occurred_at_path ? isoTimestamp(getPath(body, cfg.occurred_at_path)) : undefined,
      source_event: rawType ?? "generic",
      ...(reference ? { order: { reference } } : {}),
      ...(tracking || carrier
        ? { shipment: { ...(tracking ? { tracking_number: tracking } : {}), ...(carrier ? { carrier: carrier.toLowerCase() } : {}) } }
        : {}),
      data: body,
      provider_event_id: cfg.event_id_path ? str(getPath(body, cfg.event_id_path)) : undefined,
    };
    return { kind: "events", events: [event] };
  },
};
