import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt, or } from "drizzle-orm";
import { PROVIDERS, type ProviderName } from "../events/canonical";
import { genericSettingsSchema } from "../ingest/providers/generic";
import { adapterFor } from "../ingest/providers";
import { verificationSchema, type VerificationConfig } from "../ingest/verification/types";
import { dbOf } from "../db/client";
import { sources } from "../db/schema";
import { getSourceRow, sealVerification, splitVerification, type SourceRow } from "../db/sources";
import { allowInsecureDestinations, keyringOf, publicBaseUrl, requireKeyring } from "../lib/config";
import { encryptJson } from "../lib/crypto";
import { badRequest, notFound, unprocessable } from "../lib/errors";
import { newId, randomToken } from "../lib/ids";
import { isValidCidr } from "../lib/cidr";
import { outboundUrlProblem } from "../lib/url-safety";
import { removeWebhooks, reregisterAfterRotation } from "../registration";
import { openSource } from "../db/sources";
import { providerWebhooks } from "../db/schema";
import { ApiError } from "../lib/errors";
import type { AppContext, createRouter } from "./app";
import { errorResponses, idParam, jsonBody } from "./openapi";
import { decodeCursor, iso, page, pageQuerySchema } from "./pagination";
import { rotationRegistrationSchema } from "./registration";

const secretOnlySchema = z
  .object({ secret: z.string().min(1).max(500) })
  .strict()
  .openapi({ description: "Just the provider-issued secret; the provider preset fills in the rest" });

const credentialsSchema = z
  .object({
    api_key: z.string().min(1).max(500),
    api_secret: z.string().min(1).max(500).optional(),
    api_base_url: z.url().optional(),
  })
  .openapi("ProviderCredentials");

const cidrSchema = z.string().refine(isValidCidr, "must be an IPv4 or IPv6 CIDR (or address)");

const sourceFields = {
  name: z.string().trim().min(1).max(200),
  verification: z.union([verificationSchema, secretOnlySchema]).optional(),
  credentials: credentialsSchema.optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  rate_limit_per_minute: z.number().int().min(1).max(1_000_000).nullable().optional(),
  ip_allowlist: z.array(cidrSchema).max(100).nullable().optional(),
};

const createSourceSchema = z.object({ ...sourceFields, provider: z.enum(PROVIDERS) }).openapi("CreateSource");
const updateSourceSchema = z
  .object({ ...sourceFields, name: sourceFields.name.optional() })
  .openapi("UpdateSource");
const rotateSourceSchema = z.object({ secret: z.string().min(1).max(500).optional() }).openapi("RotateSourceSecret");

const sourceSchema = z
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

const sourceList = z.object({ data: z.array(sourceSchema), next_cursor: z.string().nullable() }).openapi("SourceList");

function sourceView(c: AppContext, row: SourceRow, reveal?: { secret?: string; token?: string }) {
  const base = publicBaseUrl(c.env, c.req.url);
  const ingest = `${base}/in/${row.id}${reveal?.token ? `?token=${encodeURIComponent(reveal.token)}` : ""}`;
  return {
    id: row.id,
    name: row.name,
    provider: row.provider as ProviderName,
    verification: row.verification,
    ingest_url: ingest,
    has_credentials: row.credentialsEnc !== null,
    settings: row.settings ?? {},
    rate_limit_per_minute: row.rateLimitPerMinute,
    ip_allowlist: row.ipAllowlist ?? null,
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
    ...(reveal?.secret ? { secret: reveal.secret } : {}),
  };
}

/** Random secret for HMAC schemes, passwords and header values the relay generates. */
const generateSecret = () => randomToken(32);

/**
 * Completes a requested verification: the provider preset when none is given, the preset
 * plus a provider-issued secret for `{secret}`, and generated secrets/tokens where needed.
 * Returns what to reveal once (generated secret, URL token).
 */
function resolveVerification(
  c: AppContext,
  provider: ProviderName,
  requested: z.infer<typeof sourceFields.verification>,
): { verification: VerificationConfig; reveal: { secret?: string; token?: string } } {
  const preset = adapterFor(provider).verificationPreset;
  let v: VerificationConfig;
  if (!requested) v = { ...preset };
  else if ("type" in requested) v = requested;
  else {
    if (preset.type !== "hmac") {
      throw badRequest(
        `verification.secret: the ${provider} preset (${preset.type}) takes no secret; give a full verification object`,
      );
    }
    v = { ...preset, secret: requested.secret };
  }
  const reveal: { secret?: string; token?: string } = {};
  if (v.type === "hmac" && !v.secret) v = { ...v, secret: (reveal.secret = generateSecret()) };
  if (v.type === "url_token") v = { ...v, token: (reveal.token = v.token ?? randomToken(24)) };
  if (v.type === "rsa_jwks") {
    const problem = outboundUrlProblem(v.jwks_url, { allowInsecure: allowInsecureDestinations(c.env) });
    if (problem) throw badRequest(`verification.jwks_url: ${problem}`);
  }
  return { verification: v, reveal };
}

function checkCredentials(c: AppContext, creds: z.infer<typeof credentialsSchema> | undefined) {
  if (!creds?.api_base_url) return;
  const problem = outboundUrlProblem(creds.api_base_url, { allowInsecure: allowInsecureDestinations(c.env) });
  if (problem) throw badRequest(`credentials.api_base_url: ${problem}`);
}

function checkSettings(provider: ProviderName, settings: Record<string, unknown> | undefined) {
  if (!settings || provider !== "generic") return;
  const parsed = genericSettingsSchema.safeParse(settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(`settings.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
}

const SourceId = idParam("src");
const tags = ["sources"];

const routes = {
  create: createRoute({
    method: "post",
    path: "/v1/sources",
    tags,
    summary: "Create a source (where a provider sends)",
    request: { body: jsonBody(createSourceSchema) },
    responses: {
      201: { description: "created", content: { "application/json": { schema: sourceSchema } } },
      ...errorResponses(400, 401, 415, 503),
    },
  }),
  list: createRoute({
    method: "get",
    path: "/v1/sources",
    tags,
    summary: "List sources, newest first",
    request: { query: pageQuerySchema },
    responses: { 200: { description: "a page", content: { "application/json": { schema: sourceList } } }, ...errorResponses(400, 401) },
  }),
  get: createRoute({
    method: "get",
    path: "/v1/sources/{id}",
    tags,
    summary: "Get a source",
    request: { params: SourceId },
    responses: { 200: { description: "the source", content: { "application/json": { schema: sourceSchema } } }, ...errorResponses(401, 404) },
  }),
  update: createRoute({
    method: "patch",
    path: "/v1/sources/{id}",
    tags,
    summary: "Update a source",
    request: { params: SourceId, body: jsonBody(updateSourceSchema) },
    responses: {
      200: { description: "updated", content: { "application/json": { schema: sourceSchema } } },
      ...errorResponses(400, 401, 404, 415, 503),
    },
  }),
  remove: createRoute({
    method: "delete",
    path: "/v1/sources/{id}",
    tags,
    summary: "Delete a source (its events stay in the log); webhooks registered at the provider are unsubscribed first",
    request: {
      params: SourceId,
      query: z.object({
        force: z.enum(["true", "false"]).optional().openapi({ description: "delete even if unsubscribing at the provider fails" }),
      }),
    },
    responses: { 204: { description: "deleted" }, ...errorResponses(401, 404, 409) },
  }),
  rotate: createRoute({
    method: "post",
    path: "/v1/sources/{id}/rotate-secret",
    tags,
    summary: "Rotate the source's secret (or URL token); the new one is shown once",
    request: { params: SourceId, body: jsonBody(rotateSourceSchema, false) },
    responses: {
      200: {
        description: "the source with its new secret (and, for a url_token source with registered webhooks, `registration`)",
        content: { "application/json": { schema: sourceSchema.extend({ registration: rotationRegistrationSchema.optional() }) } },
      },
      ...errorResponses(400, 401, 404, 422, 503),
    },
  }),
};

export function registerSourceRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(routes.create, async (c) => {
    const body = c.req.valid("json");
    const { verification, reveal } = resolveVerification(c, body.provider, body.verification);
    checkCredentials(c, body.credentials);
    checkSettings(body.provider, body.settings);
    const needsKey = splitVerification(verification).secret !== null || body.credentials !== undefined;
    const ring = needsKey ? await requireKeyring(c.env) : null;
    const sealed = await sealVerification(ring, verification);
    const now = Date.now();
    const row: SourceRow = {
      id: newId("src", now),
      workspaceId: c.get("workspaceId"),
      name: body.name,
      provider: body.provider,
      verification: sealed.verification,
      secretEnc: sealed.secretEnc,
      credentialsEnc: body.credentials && ring ? await encryptJson(ring, body.credentials) : null,
      settings: body.settings ?? {},
      rateLimitPerMinute: body.rate_limit_per_minute ?? null,
      ipAllowlist: body.ip_allowlist ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await dbOf(c.env).insert(sources).values(row);
    return c.json(sourceView(c, row, reveal), 201);
  });

  app.openapi(routes.list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const ws = c.get("workspaceId");
    const rows = await dbOf(c.env)
      .select()
      .from(sources)
      .where(
        and(
          eq(sources.workspaceId, ws),
          after ? or(lt(sources.createdAt, after.at), and(eq(sources.createdAt, after.at), lt(sources.id, after.id))) : undefined,
        ),
      )
      .orderBy(desc(sources.createdAt), desc(sources.id))
      .limit(limit + 1);
    const result = page(rows, limit, (r) => ({ at: r.createdAt, id: r.id }));
    return c.json({ data: result.data.map((r) => sourceView(c, r)), next_cursor: result.next_cursor }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const row = await getSourceRow(dbOf(c.env), c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("source");
    return c.json(sourceView(c, row), 200);
  });

  app.openapi(routes.update, async (c) => {
    const db = dbOf(c.env);
    const row = await getSourceRow(db, c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("source");
    const body = c.req.valid("json");
    const provider = row.provider as ProviderName;
    const next: SourceRow = { ...row, updatedAt: Date.now() };
    let reveal: { secret?: string; token?: string } = {};
    if (body.name !== undefined) next.name = body.name;
    if (body.verification !== undefined) {
      const resolved = resolveVerification(c, provider, body.verification);
      reveal = resolved.reveal;
      const ring = splitVerification(resolved.verification).secret ? await requireKeyring(c.env) : null;
      const sealed = await sealVerification(ring, resolved.verification);
      next.verification = sealed.verification;
      next.secretEnc = sealed.secretEnc;
    }
    if (body.credentials !== undefined) {
      checkCredentials(c, body.credentials);
      next.credentialsEnc = await encryptJson(await requireKeyring(c.env), body.credentials);
    }
    if (body.settings !== undefined) {
      checkSettings(provider, body.settings);
      next.settings = body.settings;
    }
    if (body.rate_limit_per_minute !== undefined) next.rateLimitPerMinute = body.rate_limit_per_minute;
    if (body.ip_allowlist !== undefined) next.ipAllowlist = body.ip_allowlist;
    await db
      .update(sources)
      .set(next)
      .where(and(eq(sources.id, row.id), eq(sources.workspaceId, row.workspaceId)));
    return c.json(sourceView(c, next, reveal), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const db = dbOf(c.env);
    const row = await getSourceRow(db, c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("source");
    // A provider left calling a deleted source would get 404s forever: unsubscribe first.
    const registered = await db.select({ id: providerWebhooks.id }).from(providerWebhooks).where(eq(providerWebhooks.sourceId, row.id)).limit(1);
    if (registered.length > 0) {
      const ring = await keyringOf(c.env);
      try {
        await removeWebhooks({ env: c.env, requestUrl: c.req.url }, await openSource(ring, row));
      } catch (err) {
        if (c.req.valid("query").force !== "true") {
          const why = err instanceof ApiError ? err.message : "the provider could not be reached";
          throw new ApiError(409, "unsubscribe_failed", `the source's webhooks could not be removed at the provider (${why}); retry, or DELETE with ?force=true to delete anyway`);
        }
      }
      await db.delete(providerWebhooks).where(eq(providerWebhooks.sourceId, row.id));
    }
    const deleted = await db
      .delete(sources)
      .where(and(eq(sources.workspaceId, c.get("workspaceId")), eq(sources.id, c.req.valid("param").id)))
      .returning({ id: sources.id });
    if (deleted.length === 0) throw notFound("source");
    return c.body(null, 204);
  });

  app.openapi(routes.rotate, async (c) => {
    const db = dbOf(c.env);
    const row = await getSourceRow(db, c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("source");
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof rotateSourceSchema>;
    const ring = await requireKeyring(c.env);
    const type = row.verification.type as VerificationConfig["type"];
    let secret: Record<string, unknown>;
    const reveal: { secret?: string; token?: string } = {};
    switch (type) {
      case "hmac":
        secret = { secret: (reveal.secret = body.secret ?? generateSecret()) };
        break;
      case "url_token":
        secret = { token: (reveal.token = randomToken(24)) };
        break;
      case "basic":
        secret = { password: (reveal.secret = body.secret ?? generateSecret()) };
        break;
      case "header":
        secret = { value: (reveal.secret = body.secret ?? generateSecret()) };
        break;
      default:
        throw unprocessable("nothing_to_rotate", `a ${type} source has no secret of its own to rotate`);
    }
    const next: SourceRow = { ...row, secretEnc: await encryptJson(ring, secret), updatedAt: Date.now() };
    await db.update(sources).set({ secretEnc: next.secretEnc, updatedAt: next.updatedAt }).where(eq(sources.id, row.id));
    // The URL token is part of the URL the provider calls: move registered webhooks to the new one.
    const registration = await reregisterAfterRotation({ env: c.env, requestUrl: c.req.url }, next);
    return c.json({ ...sourceView(c, next, reveal), ...(registration ? { registration } : {}) }, 200);
  });
}
