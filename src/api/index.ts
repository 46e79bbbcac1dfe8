import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { apiError } from "../lib/errors";
import { idempotency } from "../idempotency";
import { withIdempotencyKeys } from "../idempotency/openapi";
import { limitJsonDepth } from "../lib/json-depth";
import { registerApiKeyRoutes } from "./api-keys";
import { createRouter, type AppEnv } from "./app";
import { adminAuth, workspaceAuth } from "./auth";
import { registerDeliveryRoutes } from "./deliveries";
import { registerDestinationRoutes } from "./destinations";
import { registerEventRoutes } from "./events";
import { registerIngestLogRoutes } from "./ingest-log";
import { registerPendingFetchRoutes } from "./pending-fetches";
import { registerOrderRoutes } from "./orders";
import { registerListenRoute } from "./listen";
import { registerReplayRoutes } from "./replays";
import { registerSchemaRoutes } from "./schemas";
import { registerRegistrationRoutes } from "./registration";
import { registerSourceRoutes } from "./sources";
import { registerStatusRoute } from "./status";
import { registerWebhookDocs } from "./webhooks";
import { registerWorkspaceRoutes } from "./workspaces";

/** Management request bodies are at most 256 KiB, counted as read (a declared length is not trusted alone). */
const MAX_BODY_BYTES = 256 * 1024;

/** Management request bodies are JSON; anything else is refused 415 before validation. */
function requireJsonBody(): MiddlewareHandler<AppEnv> {
  return async function requireJsonBody(c, next) {
    const method = c.req.method;
    if (method === "POST" || method === "PATCH" || method === "PUT") {
      const length = Number(c.req.header("content-length") ?? "0");
      const type = (c.req.header("content-type") ?? "").toLowerCase();
      const hasBody = length > 0 || c.req.header("transfer-encoding") !== undefined;
      if (hasBody && !type.startsWith("application/json") && !/\+json\b/.test(type)) {
        throw apiError("unsupported_content_type", "send the request body as application/json");
      }
    }
    await next();
  };
}

/** Routes the operator's ADMIN_TOKEN opens (not a workspace API key). */
const ADMIN_PATHS = new Set(["/v1/workspaces", "/v1/status"]);
/** What describes the relay itself, for anyone: the API and the event's JSON Schema. */
const PUBLIC_PATHS = new Set(["/v1/openapi.json", "/v1/schemas/event.json"]);

/** The management API (`/v1`): one OpenAPIHono app, described at `/v1/openapi.json`. */
export function createManagementApi() {
  const app = createRouter();
  app.use(
    "/v1/*",
    requireJsonBody(),
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw apiError("payload_too_large", "management request bodies are limited to 256 KiB");
      },
    }),
  );
  app.use("/v1/workspaces", adminAuth());
  app.use("/v1/status", adminAuth());
  app.use("/v1/*", async (c, next) => {
    if (ADMIN_PATHS.has(c.req.path) || PUBLIC_PATHS.has(c.req.path)) return next();
    return workspaceAuth()(c, next);
  });
  // After auth, so a stranger's body is never even read.
  app.use("/v1/*", limitJsonDepth());
  // After auth too: a key is scoped to the caller's workspace (the admin token's for /v1/workspaces).
  app.use("/v1/*", idempotency());

  registerWorkspaceRoutes(app);
  registerSourceRoutes(app);
  registerDestinationRoutes(app);
  registerEventRoutes(app);
  registerDeliveryRoutes(app);
  registerPendingFetchRoutes(app);
  registerIngestLogRoutes(app);
  registerReplayRoutes(app);
  registerRegistrationRoutes(app);
  registerApiKeyRoutes(app);
  registerOrderRoutes(app);

  registerStatusRoute(app);
  registerWebhookDocs(app);
  registerSchemaRoutes(app);
  registerListenRoute(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "http", scheme: "bearer", description: "workspace API key (sk_…)" });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" });
  app.get("/v1/openapi.json", (c) => c.json(openApiDocument(app)));
  return app;
}

/** The document served at /v1/openapi.json (and written to docs/openapi.json by `npm run openapi`). */
export function openApiDocument(app: ReturnType<typeof createRouter>) {
  return withIdempotencyKeys(app.getOpenAPI31Document(OPENAPI_CONFIG));
}

/** The document's head; `npm run openapi` writes the same document to docs/openapi.json. */
export const OPENAPI_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "shiprelay management API",
    version: "1.0.0",
    description:
      "Webhook relay for shipping events: sources, destinations, events, deliveries, logs. " +
      "Every POST takes an `Idempotency-Key` header (24 h, per workspace); unknown body fields are 400 unknown_field. " +
      "The `webhooks` section lists the events the relay sends to your destinations.",
  },
  security: [{ apiKey: [] }],
};
