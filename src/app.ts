import { Hono } from "hono";
import { createManagementApi } from "./api";
import { handleError, type AppEnv } from "./api/app";
import { createDashboard } from "./dashboard";
import { ingestRoutes } from "./ingest/route";
import { apiError, errorResponse } from "./lib/errors";

/** The Worker's HTTP surface: health, ingest, the management API. */
export function createApp() {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", c.req.header("cf-ray") ?? crypto.randomUUID());
    await next();
  });
  // Touches no storage: the load balancer's probe and the benchmark's ceiling.
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/", (c) => c.json({ name: "shiprelay", docs: "/v1/openapi.json", health: "/healthz" }));
  app.route("/", ingestRoutes);
  app.route("/", createManagementApi());
  app.route("/dashboard", createDashboard());
  app.notFound((c) => errorResponse(apiError("not_found", `no route for ${c.req.method} ${c.req.path}`), c.get("requestId")));
  app.onError(handleError);
  return app;
}
