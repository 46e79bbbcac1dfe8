import { z } from "@hono/zod-openapi";
import { idParam } from "../openapi";

/** The request and response shapes of provider registration (`/v1/sources/{id}/register`, `…/webhooks`). */

export const registerBodySchema = z
  .strictObject({
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

export const registerResultSchema = z
  .object({ registered: z.number(), webhooks: z.array(registeredWebhookSchema) })
  .openapi("RegisterResult");

export const webhookListSchema = z
  .object({
    data: z.array(webhookSchema),
    next_cursor: z.string().nullable(),
    prev_cursor: z.string().nullable(),
    totals: z.object({ trigger_count: z.number(), last_triggered_at: z.string().nullable() }).openapi({
      description: "All accepted or duplicate callbacks of the source, whichever event",
    }),
    warning: z
      .object({ code: z.string(), message: z.string() })
      .optional()
      .openapi({ description: "Present when the provider could not be asked; `registered` is then null" }),
  })
  .openapi("ProviderWebhookList");

export const removeResultSchema = z.object({ removed: z.number() }).openapi("RemoveWebhooksResult");

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

export const providerFailure = (description: string) => ({
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

export const SourceId = idParam("src");
export const tags = ["registration"];
