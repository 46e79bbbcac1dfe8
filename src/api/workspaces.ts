import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../db/client";
import { insertWorkspace } from "../db/workspaces";
import { sha256Hex } from "../lib/crypto";
import { newId, randomToken } from "../lib/ids";
import type { createRouter } from "./app";
import { errorResponses, jsonBody } from "./openapi";

const createWorkspaceSchema = z.strictObject({ name: z.string().trim().min(1).max(100) }).openapi("CreateWorkspace");
const workspaceCreatedSchema = z
  .object({ id: z.string(), name: z.string(), api_key: z.string(), created_at: z.string() })
  .openapi("WorkspaceCreated");

const createWorkspace = createRoute({
  method: "post",
  path: "/v1/workspaces",
  tags: ["workspaces"],
  summary: "Create a workspace (admin token); its API key is shown once",
  security: [{ adminToken: [] }],
  request: { body: jsonBody(createWorkspaceSchema) },
  responses: {
    201: { description: "created", content: { "application/json": { schema: workspaceCreatedSchema } } },
    ...errorResponses(400, 401, 503),
  },
});

export function registerWorkspaceRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(createWorkspace, async (c) => {
    const { name } = c.req.valid("json");
    const apiKey = `sk_${randomToken(24)}`;
    const now = Date.now();
    const row = { id: newId("ws", now), name, apiKeyHash: await sha256Hex(apiKey), createdAt: now };
    await insertWorkspace(dbOf(c.env), row);
    return c.json({ id: row.id, name, api_key: apiKey, created_at: new Date(now).toISOString() }, 201);
  });
}
