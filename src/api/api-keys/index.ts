import { createRoute, z } from "@hono/zod-openapi";
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from "../../access/api-keys";
import { dbOf } from "../../db/client";
import type { createRouter } from "../app";
import { errorResponses, idParam, jsonBody } from "../openapi";
import { iso } from "../pagination";

/** `/v1/api-keys` (CONTRACT.md, Additions, "API keys"): a workspace's keys; a new key is shown once. */

const tags = ["api-keys"];

const apiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_01j…" }),
    name: z.string(),
    created_at: z.string(),
    last_used_at: z.string().nullable().openapi({ description: "to the minute: updated at most once a minute" }),
  })
  .openapi("ApiKey");

const apiKeyCreatedSchema = apiKeySchema
  .extend({ key: z.string().openapi({ description: "the key itself, shown this once", example: "sk_…" }) })
  .openapi("ApiKeyCreated");

const createApiKeySchema = z.strictObject({ name: z.string().trim().min(1).max(100) }).openapi("CreateApiKey");

const view = (r: ApiKeyRow) => ({ id: r.id, name: r.name, created_at: iso(r.createdAt)!, last_used_at: iso(r.lastUsedAt) });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

const routes = {
  list: createRoute({
    method: "get",
    path: "/v1/api-keys",
    tags,
    summary: "List the workspace's API keys, with when each was last used",
    responses: { 200: json(z.object({ data: z.array(apiKeySchema) }), "the keys, oldest first"), ...errorResponses(401) },
  }),
  create: createRoute({
    method: "post",
    path: "/v1/api-keys",
    tags,
    summary: "Create a named API key; the key is shown once",
    request: { body: jsonBody(createApiKeySchema) },
    responses: { 201: json(apiKeyCreatedSchema, "created"), ...errorResponses(400, 401, 415) },
  }),
  delete: createRoute({
    method: "delete",
    path: "/v1/api-keys/{id}",
    tags,
    summary: "Revoke an API key (it stops working and the console sessions opened with it end); never the last one",
    request: { params: idParam("key") },
    responses: { 204: { description: "revoked" }, ...errorResponses(401, 404, 409) },
  }),
};

export function registerApiKeyRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(routes.list, async (c) => {
    const rows = await listApiKeys(dbOf(c.env), c.get("workspaceId"));
    return c.json({ data: rows.map(view) }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const { row, key } = await createApiKey(dbOf(c.env), c.get("workspaceId"), c.req.valid("json").name);
    return c.json({ ...view(row), key }, 201);
  });

  app.openapi(routes.delete, async (c) => {
    await revokeApiKey(dbOf(c.env), c.get("workspaceId"), c.req.valid("param").id);
    return c.body(null, 204);
  });
}
