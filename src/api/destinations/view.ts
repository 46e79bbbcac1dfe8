import { z } from "@hono/zod-openapi";
import { autoDisablePolicy } from "../../delivery/auto-disable";
import type { SavedDestination } from "../../destinations/saved";
import { idParam } from "../openapi";
import { iso } from "../pagination";

export const DestinationId = idParam("dst");
export const tags = ["destinations"];

/** A JSON response of the given schema. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const destinationSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    url: z.string(),
    backup_url: z.string().nullable(),
    events: z.array(z.string()).nullable(),
    sources: z.array(z.string()).nullable(),
    status: z.enum(["active", "paused", "disabled"]),
    disabled_reason: z.string().nullable(),
    disabled_at: z.string().nullable(),
    headers: z.record(z.string(), z.string()).openapi({ description: "Header names; values are not returned" }),
    auth: z.object({ type: z.string(), username: z.string().optional() }).nullable(),
    retry: z.object({ max_attempts: z.number(), schedule_seconds: z.array(z.number()) }),
    timeout_ms: z.number(),
    rate_limit_per_minute: z.number().nullable(),
    ordering: z.string(),
    filter: z.record(z.string(), z.unknown()).nullable(),
    format: z.string(),
    include_raw: z.boolean(),
    mtls_certificate: z.string().nullable(),
    kind: z.enum(["webhook", "listen"]).openapi({ description: "listen: the temporary destination of a `shiprelay listen` socket" }),
    transform: z.string().nullable().openapi({ description: "The JSONata expression whose result is the body sent; null = the canonical event" }),
    auto_disable: z
      .object({ after_failed_deliveries: z.number(), after_failing_seconds: z.number() })
      .openapi({ description: "The auto-disable rules in force (0 = off)" }),
    created_at: z.string(),
    updated_at: z.string(),
    signing_secret: z.string().optional().openapi({ description: "Shown on create and rotate only" }),
  })
  .openapi("Destination");

const REDACTED = "[redacted]";

/** A destination as the API shows it: header values and auth secrets never, the signing secret once. */
export function destinationView(env: Env, { row, headerNames, auth, signingSecret }: SavedDestination) {
  const policy = autoDisablePolicy(env, row);
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    backup_url: row.backupUrl,
    events: row.events,
    sources: row.sourceIds,
    status: row.status,
    disabled_reason: row.disabledReason,
    disabled_at: iso(row.disabledAt),
    headers: Object.fromEntries(headerNames.map((h) => [h, REDACTED])),
    auth: auth ? (auth.type === "basic" ? { type: "basic", username: auth.username } : { type: auth.type }) : null,
    retry: { max_attempts: row.maxAttempts, schedule_seconds: row.scheduleSeconds },
    timeout_ms: row.timeoutMs,
    rate_limit_per_minute: row.rateLimitPerMinute,
    ordering: row.ordering,
    filter: row.filter,
    format: row.format,
    include_raw: row.includeRaw,
    mtls_certificate: row.mtlsCertificate,
    kind: row.kind,
    transform: row.transform,
    auto_disable: { after_failed_deliveries: policy.afterFailedDeliveries, after_failing_seconds: policy.afterFailingSeconds },
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
    ...(signingSecret ? { signing_secret: signingSecret } : {}),
  };
}
