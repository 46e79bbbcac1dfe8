import { z } from "@hono/zod-openapi";
import type { SourceRow } from "../../db/sources";
import { PROVIDERS, type ProviderName } from "../../events/canonical";
import { publicBaseUrl } from "../../lib/config";
import { ingestUrl } from "../../sources/ingest-url";
import type { Reveal } from "../../sources/verification";
import { idParam } from "../openapi";
import { iso } from "../pagination";

export const SourceId = idParam("src");
export const tags = ["sources"];

export const sourceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    provider: z.enum(PROVIDERS),
    verification: z.record(z.string(), z.unknown()),
    ingest_url: z.string(),
    has_credentials: z.boolean(),
    settings: z.record(z.string(), z.unknown()),
    rate_limit_per_minute: z.number().nullable(),
    ip_allowlist: z.array(z.string()).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    secret: z.string().optional().openapi({ description: "Shown on create and rotate only" }),
  })
  .openapi("Source");

/** A JSON response of the Source schema. */
export const sourceResponse = (description: string) => ({ description, content: { "application/json": { schema: sourceSchema } } });

/** A source as the API shows it: no secrets, except those just generated (`reveal`), once. */
export function sourceView(env: Env, requestUrl: string, row: SourceRow, reveal?: Reveal) {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider as ProviderName,
    verification: row.verification,
    ingest_url: ingestUrl(publicBaseUrl(env, requestUrl), row.id, reveal?.token),
    has_credentials: row.credentialsEnc !== null,
    settings: row.settings ?? {},
    rate_limit_per_minute: row.rateLimitPerMinute,
    ip_allowlist: row.ipAllowlist ?? null,
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
    ...(reveal?.secret ? { secret: reveal.secret } : {}),
  };
}
