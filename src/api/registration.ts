import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../db/client";
import { getSourceRow, openSource, type SourceConfig } from "../db/sources";
import { requireKeyring } from "../lib/config";
import { notFound } from "../lib/errors";
import {
  listWebhooks,
  PartialRegistrationError,
  registerWebhooks,
  removeWebhooks,
  type RegistrationContext,
} from "../registration";
import type { AppContext, createRouter } from "./app";
import { errorResponses, idParam, jsonBody } from "./openapi";
import { decodeCursor, encodeCursor, pageQuerySchema } from "./pagination";

const registerBodySchema = z
  .object({
    events: z
      .array(z.string().trim().min(1).max(100))
      .min(1)
      .max(50)
      .optional()
      .openapi({
        description:
          "Provider event names. Default: the events already registered for the source, else the provider's defaults " +
          "(ShipStation v1: SHIP_NOTIFY; ShipStation v2: fulfillment_shipped_v2, shipment_created_v2; ShipEngine: track)",
        example: ["SHIP_NOTIFY"],
      }),
  })
  .openapi("RegisterWebhooks");

const webhookSchema = z
  .object({
    event: z.string(),
    provider_webhook_id: z.string(),
    url: z.string().openapi({ description: "The URL registered at the provider, its URL token masked" }),
    registered: z.boolean().nullable().openapi({ description: "Live at the provider and calling the current ingest_url; null when the provider could not be asked" }),
    status: z.enum(["active", "url_outdated", "inactive", "missing", "unknown"]).openapi({
      description:
        "active: calls the current ingest_url; url_outdated: calls another URL (public URL or token changed: re-register); " +
        "inactive: switched off at the provider; missing: gone at the provider; unknown: the provider could not be asked",
    }),
    last_triggered_at: z.string().nullable(),
    trigger_count: z.number(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ProviderWebhook");

const registeredWebhookSchema = webhookSchema
  .extend({ action: z.enum(["created", "unchanged", "updated", "replaced"]) })
  .openapi("RegisteredWebhook");

const registerResultSchema = z
  .object({ registered: z.number(), webhooks: z.array(registeredWebhookSchema) })
  .openapi("RegisterResult");

const webhookListSchema = z
  .object({
    data: z.array(webhookSchema),
    next_cursor: z.string().nullable(),
    totals: z.object({ trigger_count: z.number(), last_triggered_at: z.string().nullable() }).openapi({
      description: "All accepted or duplicate callbacks of the source, whichever event",
    }),
    warning: z
      .object({ code: z.string(), message: z.string() })
      .optional()
      .openapi({ description: "Present when the provider could not be asked; `registered` is then null" }),
  })
  .openapi("ProviderWebhookList");

const removeResultSchema = z.object({ removed: z.number() }).openapi("RemoveWebhooksResult");

const registrationErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "provider_rejected" }),
      message: z.string(),
      request_id: z.string().optional(),
      registered: z.array(z.string()).optional().openapi({ description: "Events registered before the failure" }),
      not_registered: z.array(z.string()).optional(),
      removed: z.number().optional(),
    }),
  })
  .openapi("RegistrationError");

const providerFailure = (description: string) => ({
  description,
  content: { "application/json": { schema: registrationErrorSchema } },
});

/** What `POST /v1/sources/:id/rotate-secret` adds when it moved registered webhooks to the new URL. */
export const rotationRegistrationSchema = z
  .object({
    status: z.enum(["reregistered", "failed"]),
    registered: z.array(z.string()).openapi({ description: "Events whose webhooks now call the new URL" }),
    not_registered: z.array(z.string()).openapi({
      description: "Events whose webhooks still call the old URL, which the source no longer accepts",
    }),
    webhooks: z.array(registeredWebhookSchema).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    hint: z.string().optional(),
  })
  .openapi("RotationRegistration", {
    description: "The registered webhooks moved to the new URL, or why not (the rotation stands either way)",
  });

const SourceId = idParam("src");
const tags = ["registration"];

const routes = {
  register: createRoute({
    method: "post",
    path: "/v1/sources/{id}/register",
    tags,
    summary: "Subscribe the source's ingest URL at the provider (ShipStation v1, ShipEngine, ShipStation v2); idempotent",
    request: { params: SourceId, body: jsonBody(registerBodySchema, false) },
    responses: {
      200: { description: "registered", content: { "application/json": { schema: registerResultSchema } } },
      422: providerFailure("missing_credentials, provider_rejected (the provider refused: 4xx), registration_not_supported"),
      502: providerFailure("provider_error: the provider is unreachable or failed (5xx)"),
      ...errorResponses(400, 401, 404, 415, 503),
    },
  }),
  list: createRoute({
    method: "get",
    path: "/v1/sources/{id}/webhooks",
    tags,
    summary: "The source's registered webhooks, checked live against the provider's list",
    request: { params: SourceId, query: pageQuerySchema },
    responses: {
      200: { description: "a page", content: { "application/json": { schema: webhookListSchema } } },
      ...errorResponses(400, 401, 404, 503),
    },
  }),
  remove: createRoute({
    method: "delete",
    path: "/v1/sources/{id}/webhooks",
    tags,
    summary: "Unsubscribe the source at the provider and forget its webhooks",
    request: { params: SourceId },
    responses: {
      200: { description: "removed", content: { "application/json": { schema: removeResultSchema } } },
      422: providerFailure("missing_credentials, provider_rejected"),
      502: providerFailure("provider_error"),
      ...errorResponses(401, 404, 503),
    },
  }),
};

async function loadSource(c: AppContext, id: string): Promise<SourceConfig> {
  const row = await getSourceRow(dbOf(c.env), c.get("workspaceId"), id);
  if (!row) throw notFound("source");
  const ring = row.secretEnc || row.credentialsEnc ? await requireKeyring(c.env) : null;
  return openSource(ring, row);
}

const contextOf = (c: AppContext): RegistrationContext => ({ env: c.env, requestUrl: c.req.url });

function failureBody(c: AppContext, err: PartialRegistrationError) {
  const requestId = c.get("requestId");
  return { error: { code: err.code, message: err.message, ...(requestId ? { request_id: requestId } : {}), ...err.progress } };
}

/** Keyset pagination (newest first) over the few rows a source has: one per event. */
function pager(limit: number, cursor: string | undefined) {
  const after = decodeCursor(cursor);
  return <T extends { createdAt: number; id: string }>(rows: T[]) => {
    const sorted = [...rows].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const rest = after ? sorted.filter((r) => r.createdAt < after.at || (r.createdAt === after.at && r.id < after.id)) : sorted;
    const data = rest.slice(0, limit);
    const last = data[data.length - 1];
    return { data, next_cursor: rest.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  };
}

export function registerRegistrationRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(routes.register, async (c) => {
    const source = await loadSource(c, c.req.valid("param").id);
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof registerBodySchema>;
    try {
      return c.json(await registerWebhooks(contextOf(c), source, body.events), 200);
    } catch (err) {
      if (err instanceof PartialRegistrationError) return c.json(failureBody(c, err), err.status as 422 | 502);
      throw err;
    }
  });

  app.openapi(routes.list, async (c) => {
    const source = await loadSource(c, c.req.valid("param").id);
    const { limit, cursor } = c.req.valid("query");
    return c.json(await listWebhooks(contextOf(c), source, pager(limit, cursor)), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const source = await loadSource(c, c.req.valid("param").id);
    try {
      return c.json(await removeWebhooks(contextOf(c), source), 200);
    } catch (err) {
      if (err instanceof PartialRegistrationError) return c.json(failureBody(c, err), err.status as 422 | 502);
      throw err;
    }
  });
}
