import { z } from "@hono/zod-openapi";
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_SCHEDULE_SECONDS } from "../db/destinations";
import { MTLS_BINDING_PATTERN } from "../delivery/mtls";

/**
 * What a destination may be created or updated with: the API validates request bodies with
 * these, and the domain functions take the parsed values. Objects are strict (a misspelt
 * option is 400 unknown_field, not silently dropped); `headers` and `filter` are maps whose
 * keys are the caller's own, so they stay records.
 */

const eventPattern = z
  .string()
  .regex(/^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/, "must be an event type or a prefix.* pattern");
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "must be a valid header name");
const authSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("basic"), username: z.string().min(1).max(200), password: z.string().min(1).max(500) }),
    z.strictObject({ type: z.literal("bearer"), token: z.string().min(1).max(2000) }),
  ])
  .openapi("DestinationAuth");
const retrySchema = z
  .strictObject({
    max_attempts: z.number().int().min(1).max(11).default(DEFAULT_MAX_ATTEMPTS),
    schedule_seconds: z.array(z.number().int().min(0).max(7 * 86_400)).min(1).max(10).default(DEFAULT_SCHEDULE_SECONDS),
  })
  .openapi("RetryPolicy");
const autoDisableSchema = z
  .strictObject({
    after_failed_deliveries: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .nullable()
      .optional()
      .openapi({ description: "Disable after this many deliveries in a row failed for good; 0 = never, null = the relay's default (20)" }),
    after_failing_seconds: z
      .number()
      .int()
      .min(0)
      .max(90 * 86_400)
      .nullable()
      .optional()
      .openapi({ description: "Disable once every attempt has failed for this long; 0 = never, null = the relay's default (5 days)" }),
  })
  .openapi("AutoDisable");

const destinationFields = {
  name: z.string().trim().max(200).optional(),
  url: z.string().max(2000),
  backup_url: z.string().max(2000).nullable().optional(),
  events: z.array(eventPattern).max(100).nullable().optional(),
  sources: z.array(z.string().max(100)).max(100).nullable().optional(),
  status: z.enum(["active", "paused"]).optional(),
  headers: z.record(headerName, z.string().max(4000)).nullable().optional(),
  auth: authSchema.nullable().optional(),
  retry: retrySchema.optional(),
  timeout_ms: z.number().int().min(1000).max(60_000).optional(),
  rate_limit_per_minute: z.number().int().min(1).max(1_000_000).nullable().optional(),
  ordering: z.enum(["unordered", "per_order"]).optional(),
  filter: z.record(z.string().max(200), z.unknown()).nullable().optional(),
  format: z.enum(["v1"]).optional(),
  include_raw: z.boolean().optional(),
  mtls_certificate: z
    .string()
    .regex(MTLS_BINDING_PATTERN, "must name an mtls_certificates binding of this Worker (MTLS_…)")
    .nullable()
    .optional()
    .openapi({ description: "Name of an mtls_certificates binding (MTLS_…) whose client certificate deliveries present" }),
  auto_disable: autoDisableSchema.optional(),
  transform: z
    .string()
    .max(10_000)
    .nullable()
    .optional()
    .openapi({ description: "A JSONata expression over the canonical event whose result (a JSON object or array) is the body sent; null removes it" }),
  verify: z.boolean().optional().openapi({ description: "Send a test event first; refuse to save (422) unless it is acknowledged 2xx" }),
};

export const createDestinationSchema = z.strictObject(destinationFields).openapi("CreateDestination");
export const updateDestinationSchema = z
  .strictObject({ ...destinationFields, url: destinationFields.url.optional() })
  .openapi("UpdateDestination");

export type CreateDestinationInput = z.infer<typeof createDestinationSchema>;
export type UpdateDestinationInput = z.infer<typeof updateDestinationSchema>;
