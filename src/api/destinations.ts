import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import { dbOf } from "../db/client";
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_SCHEDULE_SECONDS,
  DEFAULT_TIMEOUT_MS,
  getDestinationRow,
  openDestination,
  type DestinationRow,
} from "../db/destinations";
import { attempts, destinations, sources } from "../db/schema";
import { autoDisablePolicy } from "../delivery/auto-disable";
import { MTLS_BINDING_PATTERN, mtlsFetcher } from "../delivery/mtls";
import { isReservedHeader, type AttemptOutcome, type DestinationAuth } from "../delivery/send";
import { newSigningSecret } from "../delivery/signing";
import { queueDrain, userStatusColumns } from "../delivery/destination-status";
import { sendTestPing } from "../delivery/test-event";
import { allowInsecureDestinations, requireKeyring } from "../lib/config";
import { encryptJson, encryptString } from "../lib/crypto";
import { badRequest, notFound, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { outboundUrlProblem } from "../lib/url-safety";
import type { AppContext, createRouter } from "./app";
import { errorResponses, idParam, jsonBody } from "./openapi";
import { decodeCursor, iso, page, pageQuerySchema } from "./pagination";

/** 24 h during which deliveries carry both the old and the new signature. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

const eventPattern = z
  .string()
  .regex(/^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/, "must be an event type or a prefix.* pattern");
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "must be a valid header name");
const authSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("basic"), username: z.string().min(1).max(200), password: z.string().min(1).max(500) }),
    z.object({ type: z.literal("bearer"), token: z.string().min(1).max(2000) }),
  ])
  .openapi("DestinationAuth");
const retrySchema = z
  .object({
    max_attempts: z.number().int().min(1).max(11).default(DEFAULT_MAX_ATTEMPTS),
    schedule_seconds: z.array(z.number().int().min(0).max(7 * 86_400)).min(1).max(10).default(DEFAULT_SCHEDULE_SECONDS),
  })
  .openapi("RetryPolicy");
const autoDisableSchema = z
  .object({
    after_failed_deliveries: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .nullable()
      .optional()
      .openapi({ description: "Disable after this many deliveries in a row failed for good; 0 = never, null = the relay's default (20)" }),
    after_failing_seconds: z
      .number()
      .int()
      .min(0)
      .max(90 * 86_400)
      .nullable()
      .optional()
      .openapi({ description: "Disable once every attempt has failed for this long; 0 = never, null = the relay's default (5 days)" }),
  })
  .openapi("AutoDisable");

const destinationFields = {
  name: z.string().trim().max(200).optional(),
  url: z.string().max(2000),
  backup_url: z.string().max(2000).nullable().optional(),
  events: z.array(eventPattern).max(100).nullable().optional(),
  sources: z.array(z.string().max(100)).max(100).nullable().optional(),
  status: z.enum(["active", "paused"]).optional(),
  headers: z.record(headerName, z.string().max(4000)).nullable().optional(),
  auth: authSchema.nullable().optional(),
  retry: retrySchema.optional(),
  timeout_ms: z.number().int().min(1000).max(60_000).optional(),
  rate_limit_per_minute: z.number().int().min(1).max(1_000_000).nullable().optional(),
  ordering: z.enum(["unordered", "per_order"]).optional(),
  filter: z.record(z.string().max(200), z.unknown()).nullable().optional(),
  format: z.enum(["v1"]).optional(),
  include_raw: z.boolean().optional(),
  mtls_certificate: z
    .string()
    .regex(MTLS_BINDING_PATTERN, "must name an mtls_certificates binding of this Worker (MTLS_…)")
    .nullable()
    .optional()
    .openapi({ description: "Name of an mtls_certificates binding (MTLS_…) whose client certificate deliveries present" }),
  auto_disable: autoDisableSchema.optional(),
  verify: z.boolean().optional().openapi({ description: "Send a test event first; refuse to save (422) unless it is acknowledged 2xx" }),
};
const createDestinationSchema = z.object(destinationFields).openapi("CreateDestination");
const updateDestinationSchema = z
  .object({ ...destinationFields, url: destinationFields.url.optional() })
  .openapi("UpdateDestination");

const destinationSchema = z
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
    auto_disable: z
      .object({ after_failed_deliveries: z.number(), after_failing_seconds: z.number() })
      .openapi({ description: "The auto-disable rules in force (0 = off)" }),
    created_at: z.string(),
    updated_at: z.string(),
    signing_secret: z.string().optional().openapi({ description: "Shown on create and rotate only" }),
  })
  .openapi("Destination");
const destinationList = z.object({ data: z.array(destinationSchema), next_cursor: z.string().nullable() });

export const attemptSchema = z
  .object({
    status_code: z.number().nullable(),
    duration_ms: z.number(),
    response_body: z.string().nullable(),
    error: z.string().nullable(),
    url: z.string(),
  })
  .openapi("TestAttempt");

const statsSchema = z
  .object({
    trigger_count: z.number(),
    success_count: z.number(),
    failure_count: z.number(),
    last_triggered_at: z.string().nullable(),
    last_success_at: z.string().nullable(),
    p50_ms: z.number().nullable(),
    p95_ms: z.number().nullable(),
  })
  .openapi("DestinationStats");

const REDACTED = "[redacted]";

function destinationView(c: AppContext, row: DestinationRow, headerNames: string[], auth: DestinationAuth | null, signingSecret?: string) {
  const policy = autoDisablePolicy(c.env, row);
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
    auto_disable: { after_failed_deliveries: policy.afterFailedDeliveries, after_failing_seconds: policy.afterFailingSeconds },
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
    ...(signingSecret ? { signing_secret: signingSecret } : {}),
  };
}

async function viewOf(c: AppContext, row: DestinationRow, signingSecret?: string) {
  const opened = await openDestination(await requireKeyring(c.env), row);
  return destinationView(c, row, Object.keys(opened.headers), opened.auth, signingSecret);
}

function checkUrl(c: AppContext, field: string, url: string) {
  const problem = outboundUrlProblem(url, { allowInsecure: allowInsecureDestinations(c.env) });
  if (problem) throw badRequest(`${field}: ${problem}`);
}

/** The named mTLS binding must exist on this Worker, or every delivery would fail. */
function checkMtls(c: AppContext, name: string | null | undefined) {
  if (name && !mtlsFetcher(c.env, name)) {
    throw badRequest(`mtls_certificate: this Worker has no mtls_certificates binding named ${name}`);
  }
}

function checkHeaders(headers: Record<string, string> | null | undefined) {
  for (const name of Object.keys(headers ?? {})) {
    if (isReservedHeader(name)) {
      throw badRequest(`headers.${name}: is set by the relay and cannot be overridden`);
    }
  }
}

async function checkSources(c: AppContext, ids: string[] | null | undefined) {
  if (!ids?.length) return;
  const rows = await dbOf(c.env)
    .select({ id: sources.id })
    .from(sources)
    .where(and(eq(sources.workspaceId, c.get("workspaceId")), sql`${sources.id} in (select value from json_each(${JSON.stringify(ids)}))`));
  const known = new Set(rows.map((r) => r.id));
  const missing = ids.findIndex((id) => !known.has(id));
  if (missing >= 0) throw badRequest(`sources.${missing}: no such source`);
}

/**
 * The columns a PATCH writes: the configuration it may change, and the status fields only
 * when it sets a status. Never the signing secrets or the failure record — the relay writes
 * those concurrently (rotate-secret, auto-disable), and writing back what this request read
 * would undo them.
 */
function editableColumns(next: DestinationRow, statusSet: boolean): Partial<DestinationRow> {
  const {
    id: _id,
    workspaceId: _workspaceId,
    createdAt: _createdAt,
    signingSecretEnc: _secret,
    previousSigningSecretEnc: _previousSecret,
    previousSecretExpiresAt: _previousExpiry,
    status,
    disabledReason,
    disabledAt,
    consecutiveFailures,
    failingSince,
    ...config
  } = next;
  if (!statusSet) return config;
  return status === "active"
    ? { ...config, status, disabledReason, disabledAt, consecutiveFailures, failingSince }
    : { ...config, status, disabledReason, disabledAt };
}

function refuseUnverified(outcome: AttemptOutcome): never {
  const answer = outcome.statusCode !== null ? `answered ${outcome.statusCode}` : `failed (${outcome.error})`;
  throw unprocessable("endpoint_unverified", `the endpoint ${answer} to the test event; it must answer 2xx to be saved`);
}

const DestinationId = idParam("dst");
const tags = ["destinations"];
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

const routes = {
  create: createRoute({
    method: "post",
    path: "/v1/destinations",
    tags,
    summary: "Create a destination (where customers receive)",
    request: { body: jsonBody(createDestinationSchema) },
    responses: { 201: json(destinationSchema, "created"), ...errorResponses(400, 401, 415, 422, 503) },
  }),
  list: createRoute({
    method: "get",
    path: "/v1/destinations",
    tags,
    summary: "List destinations, newest first",
    request: { query: pageQuerySchema },
    responses: { 200: json(destinationList, "a page"), ...errorResponses(400, 401) },
  }),
  get: createRoute({
    method: "get",
    path: "/v1/destinations/{id}",
    tags,
    summary: "Get a destination",
    request: { params: DestinationId },
    responses: { 200: json(destinationSchema, "the destination"), ...errorResponses(401, 404) },
  }),
  update: createRoute({
    method: "patch",
    path: "/v1/destinations/{id}",
    tags,
    summary: "Update a destination; setting status active drains what waited while paused or disabled",
    request: { params: DestinationId, body: jsonBody(updateDestinationSchema) },
    responses: { 200: json(destinationSchema, "updated"), ...errorResponses(400, 401, 404, 415, 422, 503) },
  }),
  remove: createRoute({
    method: "delete",
    path: "/v1/destinations/{id}",
    tags,
    summary: "Delete a destination (its delivery log stays)",
    request: { params: DestinationId },
    responses: { 204: { description: "deleted" }, ...errorResponses(401, 404) },
  }),
  rotate: createRoute({
    method: "post",
    path: "/v1/destinations/{id}/rotate-secret",
    tags,
    summary: "New signing secret; for 24 h deliveries carry both signatures",
    request: { params: DestinationId },
    responses: { 200: json(destinationSchema, "the destination with its new signing_secret"), ...errorResponses(401, 404, 503) },
  }),
  test: createRoute({
    method: "post",
    path: "/v1/destinations/{id}/test",
    tags,
    summary: "Send a test event (livemode false) now and report the endpoint's answer",
    request: { params: DestinationId },
    responses: {
      200: json(attemptSchema.extend({ payload: z.unknown() }), "the attempt, also when the endpoint failed"),
      ...errorResponses(401, 404, 503),
    },
  }),
  stats: createRoute({
    method: "get",
    path: "/v1/destinations/{id}/stats",
    tags,
    summary: "Delivery attempt counts and durations",
    request: { params: DestinationId },
    responses: { 200: json(statsSchema, "stats"), ...errorResponses(401, 404) },
  }),
};

export function registerDestinationRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(routes.create, async (c) => {
    const body = c.req.valid("json");
    checkUrl(c, "url", body.url);
    if (body.backup_url) checkUrl(c, "backup_url", body.backup_url);
    checkHeaders(body.headers);
    checkMtls(c, body.mtls_certificate);
    await checkSources(c, body.sources);
    const ring = await requireKeyring(c.env);
    const signingSecret = newSigningSecret();
    const now = Date.now();
    const id = newId("dst", now);
    const timeoutMs = body.timeout_ms ?? DEFAULT_TIMEOUT_MS;
    if (body.verify) {
      const { outcome } = await sendTestPing(c.env, {
        id,
        url: body.url,
        timeoutMs,
        headers: body.headers ?? {},
        auth: body.auth ?? null,
        secrets: [signingSecret],
        mtlsCertificate: body.mtls_certificate ?? null,
      });
      if (!outcome.ok) refuseUnverified(outcome);
    }
    const row: DestinationRow = {
      id,
      workspaceId: c.get("workspaceId"),
      name: body.name ?? null,
      url: body.url,
      backupUrl: body.backup_url ?? null,
      events: body.events ?? null,
      sourceIds: body.sources ?? null,
      status: body.status ?? "active",
      disabledReason: null,
      disabledAt: null,
      headersEnc: body.headers && Object.keys(body.headers).length ? await encryptJson(ring, body.headers) : null,
      authEnc: body.auth ? await encryptJson(ring, body.auth) : null,
      maxAttempts: body.retry?.max_attempts ?? DEFAULT_MAX_ATTEMPTS,
      scheduleSeconds: body.retry?.schedule_seconds ?? DEFAULT_SCHEDULE_SECONDS,
      timeoutMs,
      rateLimitPerMinute: body.rate_limit_per_minute ?? null,
      ordering: body.ordering ?? "unordered",
      filter: body.filter ?? null,
      format: body.format ?? "v1",
      includeRaw: body.include_raw ?? false,
      mtlsCertificate: body.mtls_certificate ?? null,
      signingSecretEnc: await encryptString(ring, signingSecret),
      previousSigningSecretEnc: null,
      previousSecretExpiresAt: null,
      consecutiveFailures: 0,
      failingSince: null,
      autoDisableFailures: body.auto_disable?.after_failed_deliveries ?? null,
      autoDisableSeconds: body.auto_disable?.after_failing_seconds ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await dbOf(c.env).insert(destinations).values(row);
    return c.json(destinationView(c, row, Object.keys(body.headers ?? {}), body.auth ?? null, signingSecret), 201);
  });

  app.openapi(routes.list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const rows = await dbOf(c.env)
      .select()
      .from(destinations)
      .where(
        and(
          eq(destinations.workspaceId, c.get("workspaceId")),
          after
            ? or(lt(destinations.createdAt, after.at), and(eq(destinations.createdAt, after.at), lt(destinations.id, after.id)))
            : undefined,
        ),
      )
      .orderBy(desc(destinations.createdAt), desc(destinations.id))
      .limit(limit + 1);
    const result = page(rows, limit, (r) => ({ at: r.createdAt, id: r.id }));
    const data = await Promise.all(result.data.map((r) => viewOf(c, r)));
    return c.json({ data, next_cursor: result.next_cursor }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const row = await getDestinationRow(dbOf(c.env), c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("destination");
    return c.json(await viewOf(c, row), 200);
  });

  app.openapi(routes.update, async (c) => {
    const db = dbOf(c.env);
    const row = await getDestinationRow(db, c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("destination");
    const body = c.req.valid("json");
    const ring = await requireKeyring(c.env);
    const current = await openDestination(ring, row);
    const next: DestinationRow = { ...row, updatedAt: Date.now() };
    if (body.url !== undefined) {
      checkUrl(c, "url", body.url);
      next.url = body.url;
    }
    if (body.backup_url !== undefined) {
      if (body.backup_url) checkUrl(c, "backup_url", body.backup_url);
      next.backupUrl = body.backup_url;
    }
    if (body.name !== undefined) next.name = body.name;
    if (body.events !== undefined) next.events = body.events;
    if (body.sources !== undefined) {
      await checkSources(c, body.sources);
      next.sourceIds = body.sources;
    }
    let headers = current.headers;
    if (body.headers !== undefined) {
      checkHeaders(body.headers);
      headers = body.headers ?? {};
      next.headersEnc = Object.keys(headers).length ? await encryptJson(ring, headers) : null;
    }
    let auth = current.auth;
    if (body.auth !== undefined) {
      auth = body.auth;
      next.authEnc = auth ? await encryptJson(ring, auth) : null;
    }
    if (body.retry !== undefined) {
      next.maxAttempts = body.retry.max_attempts;
      next.scheduleSeconds = body.retry.schedule_seconds;
    }
    if (body.timeout_ms !== undefined) next.timeoutMs = body.timeout_ms;
    if (body.rate_limit_per_minute !== undefined) next.rateLimitPerMinute = body.rate_limit_per_minute;
    if (body.ordering !== undefined) next.ordering = body.ordering;
    if (body.filter !== undefined) next.filter = body.filter;
    if (body.format !== undefined) next.format = body.format;
    if (body.include_raw !== undefined) next.includeRaw = body.include_raw;
    if (body.mtls_certificate !== undefined) {
      checkMtls(c, body.mtls_certificate);
      next.mtlsCertificate = body.mtls_certificate;
    }
    if (body.auto_disable !== undefined) {
      if (body.auto_disable.after_failed_deliveries !== undefined) next.autoDisableFailures = body.auto_disable.after_failed_deliveries;
      if (body.auto_disable.after_failing_seconds !== undefined) next.autoDisableSeconds = body.auto_disable.after_failing_seconds;
    }
    const reactivated = body.status === "active" && row.status !== "active";
    if (body.status !== undefined) Object.assign(next, userStatusColumns(body.status));
    if (body.verify) {
      const { outcome } = await sendTestPing(c.env, {
        id: row.id,
        url: next.url,
        timeoutMs: next.timeoutMs,
        headers,
        auth,
        secrets: current.signingSecrets,
        mtlsCertificate: next.mtlsCertificate,
      });
      if (!outcome.ok) refuseUnverified(outcome);
    }
    await db.update(destinations).set(editableColumns(next, body.status !== undefined)).where(eq(destinations.id, row.id));
    const saved = (await getDestinationRow(db, c.get("workspaceId"), row.id)) ?? next;
    if (reactivated) await queueDrain(c.env, row.id);
    return c.json(destinationView(c, saved, Object.keys(headers), auth), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const deleted = await dbOf(c.env)
      .delete(destinations)
      .where(and(eq(destinations.workspaceId, c.get("workspaceId")), eq(destinations.id, c.req.valid("param").id)))
      .returning({ id: destinations.id });
    if (deleted.length === 0) throw notFound("destination");
    return c.body(null, 204);
  });

  app.openapi(routes.rotate, async (c) => {
    const db = dbOf(c.env);
    const row = await getDestinationRow(db, c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("destination");
    const ring = await requireKeyring(c.env);
    const signingSecret = newSigningSecret();
    const now = Date.now();
    const next: DestinationRow = {
      ...row,
      signingSecretEnc: await encryptString(ring, signingSecret),
      previousSigningSecretEnc: row.signingSecretEnc,
      previousSecretExpiresAt: now + ROTATION_OVERLAP_MS,
      updatedAt: now,
    };
    await db
      .update(destinations)
      .set({
        signingSecretEnc: next.signingSecretEnc,
        previousSigningSecretEnc: next.previousSigningSecretEnc,
        previousSecretExpiresAt: next.previousSecretExpiresAt,
        updatedAt: now,
      })
      .where(eq(destinations.id, row.id));
    return c.json(await viewOf(c, next, signingSecret), 200);
  });

  app.openapi(routes.test, async (c) => {
    const row = await getDestinationRow(dbOf(c.env), c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("destination");
    const opened = await openDestination(await requireKeyring(c.env), row);
    const { outcome, payload } = await sendTestPing(c.env, {
      id: row.id,
      url: row.url,
      timeoutMs: row.timeoutMs,
      headers: opened.headers,
      auth: opened.auth,
      secrets: opened.signingSecrets,
      mtlsCertificate: row.mtlsCertificate,
    });
    return c.json(
      {
        status_code: outcome.statusCode,
        duration_ms: outcome.durationMs,
        response_body: outcome.responseBody,
        error: outcome.error,
        url: outcome.url,
        payload,
      },
      200,
    );
  });

  app.openapi(routes.stats, async (c) => {
    const db = dbOf(c.env);
    const row = await getDestinationRow(db, c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("destination");
    const totals = await db
      .select({
        trigger: sql<number>`count(*)`,
        success: sql<number>`coalesce(sum(${attempts.succeeded}), 0)`,
        lastTriggered: sql<number | null>`max(${attempts.at})`,
        lastSuccess: sql<number | null>`max(case when ${attempts.succeeded} then ${attempts.at} end)`,
      })
      .from(attempts)
      .where(eq(attempts.destinationId, row.id))
      .get();
    const count = totals?.trigger ?? 0;
    const percentile = async (p: number) => {
      if (count === 0) return null;
      const r = await db
        .select({ d: attempts.durationMs })
        .from(attempts)
        .where(eq(attempts.destinationId, row.id))
        .orderBy(attempts.durationMs)
        .limit(1)
        .offset(Math.min(count - 1, Math.floor(p * count)))
        .get();
      return r?.d ?? null;
    };
    const [p50, p95] = await Promise.all([percentile(0.5), percentile(0.95)]);
    return c.json(
      {
        trigger_count: count,
        success_count: totals?.success ?? 0,
        failure_count: count - (totals?.success ?? 0),
        last_triggered_at: iso(totals?.lastTriggered),
        last_success_at: iso(totals?.lastSuccess),
        p50_ms: p50,
        p95_ms: p95,
      },
      200,
    );
  });
}
