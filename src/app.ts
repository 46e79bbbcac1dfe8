import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { createManagementApi } from "./api";
import { handleError, type AppEnv } from "./api/app";
import { createDashboard } from "./dashboard";
import { ingestRoutes } from "./ingest/route";
import { apiError, errorResponse } from "./lib/errors";

/** What a sign-in form can carry (an API key and the page to return to), with room to spare. */
const MAX_SIGN_IN_BYTES = 8 * 1024;

/** The Worker's HTTP surface: health, ingest, the management API, the console. */
export function createApp() {
  const app = new Hono<AppEnv>();
  // The id is Cloudflare's ray id when there is one, so a log line leads to Cloudflare's own
  // logs; a `request-id` sent by the client is not taken (headerName "" reads none).
  app.use("*", requestId({ headerName: "", generator: (c) => c.req.header("cf-ray") ?? crypto.randomUUID() }));
  // Set once the answer exists: ingest and the error handlers build their own Response,
  // which would drop a header set before the handler ran.
  app.use("*", async function requestIdHeader(c, next) {
    await next();
    c.header("request-id", c.get("requestId"));
  });
  // Touches no storage: the load balancer's probe and the benchmark's ceiling.
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/", (c) => c.json({ name: "shiprelay", docs: "/docs", openapi: "/v1/openapi.json", console: "/dashboard", health: "/healthz" }));
  // The interactive API reference (Scalar), drawn from the same document the API serves.
  app.get("/docs", Scalar({ url: "/v1/openapi.json", pageTitle: "shiprelay API reference" }));
  app.route("/", ingestRoutes);
  app.route("/", createManagementApi());
  app.use(
    "/dashboard/login",
    bodyLimit({
      maxSize: MAX_SIGN_IN_BYTES,
      onError: () => {
        throw apiError("payload_too_large", `the sign-in form is limited to ${MAX_SIGN_IN_BYTES / 1024} KiB`);
      },
    }),
  );
  app.route("/dashboard", createDashboard());
  app.notFound((c) => errorResponse(apiError("not_found", `no route for ${c.req.method} ${c.req.path}`), c.get("requestId")));
  app.onError(handleError);
  return app;
}
