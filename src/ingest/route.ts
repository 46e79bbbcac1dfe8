import { Hono } from "hono";
import { configGuardStatement, isStaleConfig } from "../db/config-version";
import type { SourceConfig } from "../db/sources";
import { ipInCidrs } from "../lib/cidr";
import { allowInsecureDestinations } from "../lib/config";
import { ApiError, errorResponse } from "../lib/errors";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "../lib/json-depth";
import { guardedFetch } from "../lib/url-safety";
import { insertIngestLogStatement, type IngestLogEntry } from "./ingest-log";
import { acceptEvents, newIngestLogId, type RoutingDestination } from "./pipeline";
import { ingestConfig, reloadIngestConfig, type IngestConfig } from "./source-config";
import { adapterFor } from "./providers";
import { AdapterParseError, type AdapterResult, type NormalizedEvent, type ProviderAdapter } from "./providers/types";
import { verifyRequest } from "./verification";
import type { AppEnv } from "../api/app";
import type { JobMessage } from "../jobs/messages";

/** CONTRACT.md: ingest bodies over 1 MiB are refused 413. */
export const MAX_INGEST_BYTES = 1024 * 1024;
const MAX_JOB_RAW_CHARS = 64 * 1024;
/** Header limits (431): far above any provider's callback, far below what costs us. */
export const MAX_INGEST_HEADERS = 100;
export const MAX_INGEST_HEADER_BYTES = 32 * 1024;
/** How long a JWKS fetch during verification may take. */
const JWKS_FETCH_TIMEOUT_MS = 5000;
const SOURCE_ID = /^src_[0-9a-z]{26}$/;

type LogBase = Omit<IngestLogEntry, "result" | "eventIds">;

/**
 * `POST /in/:sourceId` — the provider-facing route. Order of checks: the source exists,
 * its IP allowlist, header limits (431), its rate limit (429, only when the source sets
 * one), size (413), content type (415), JSON nesting (422), proof of origin (401), JSON
 * (400); then the adapter and the commit. Cheap refusals come first, so a flood costs
 * little. Every request, accepted or refused, lands in the ingest log with a reason; a 2xx
 * is sent only after the commit (src/orders/sequencer.ts).
 */
export const ingestRoutes = new Hono<AppEnv>();

ingestRoutes.post("/in/:sourceId", (c) => handleIngest(c.env, c.req.raw, c.req.param("sourceId"), undefined));
ingestRoutes.post("/in/:sourceId/:token", (c) => handleIngest(c.env, c.req.raw, c.req.param("sourceId"), c.req.param("token")));
ingestRoutes.all("/in/*", () => errorResponse(new ApiError(405, "method_not_allowed", "providers POST to /in/<source id>", { allow: "POST" })));

export async function handleIngest(env: Env, request: Request, sourceId: string, pathToken: string | undefined): Promise<Response> {
  const receivedAt = Date.now();
  if (!SOURCE_ID.test(sourceId)) return errorResponse(new ApiError(404, "not_found", "source not found"));

  const found = await ingestConfig(env, sourceId);
  if (!found) return errorResponse(new ApiError(404, "not_found", "source not found"));
  const first = await ingestWith(env, request, found.config, { pathToken, receivedAt, revalidate: found.cached });
  if (first instanceof Response) return first;

  // Decided on cached config that may have changed since: read it again and run once more.
  const fresh = await reloadIngestConfig(env, sourceId);
  if (!fresh) return errorResponse(new ApiError(404, "not_found", "source not found"));
  const second = await ingestWith(env, request, fresh, { pathToken, receivedAt, revalidate: false, rawBody: first.rawBody });
  return second instanceof Response ? second : notCommitted();
}

/** A run on cached config that must be redone on fresh config (the body, if it was read already). */
interface Redo {
  redo: true;
  rawBody: string | undefined;
}

interface RunOptions {
  pathToken: string | undefined;
  receivedAt: number;
  /** The config came from the isolate cache: refusals it decides and stale commits are redone on fresh config. */
  revalidate: boolean;
  /** The body, when an earlier run already read it. */
  rawBody?: string;
}

async function ingestWith(env: Env, request: Request, config: IngestConfig, opts: RunOptions): Promise<Response | Redo> {
  const { source, destinations, configVersion } = config;
  const { receivedAt, pathToken } = opts;
  const adapter = adapterFor(source.provider);
  let rawBody: string | undefined = opts.rawBody;

  const ip = request.headers.get("cf-connecting-ip");
  const log: LogBase = {
    id: newIngestLogId(receivedAt),
    workspaceId: source.workspaceId,
    sourceId: source.id,
    at: receivedAt,
    reason: null,
    httpStatus: 200,
    detail: { ...(ip ? { ip } : {}), content_length: Number(request.headers.get("content-length") ?? 0) || undefined },
  };
  /** `configDependent`: a different config could have let it through (allowlist, limit, proof of origin). */
  const refuse = async (err: ApiError, reason: string, configDependent = false): Promise<Response | Redo> => {
    if (configDependent && opts.revalidate) return { redo: true, rawBody };
    await insertIngestLogStatement(env.DB, { ...log, result: "rejected", reason, eventIds: [], httpStatus: err.status }).run();
    return errorResponse(err);
  };

  if (source.ipAllowlist?.length && !(ip && ipInCidrs(ip, source.ipAllowlist))) {
    return refuse(new ApiError(403, "ip_not_allowed", "this address may not post to this source"), "ip_not_allowed", true);
  }

  const headerProblem = oversizedHeaders(request.headers);
  if (headerProblem) return refuse(new ApiError(431, "headers_too_large", headerProblem), "headers_too_large");

  if (source.rateLimitPerMinute) {
    const waitMs = await rateLimitWait(env, source);
    if (waitMs > 0) {
      const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)));
      return refuse(
        new ApiError(429, "rate_limited", `this source accepts ${source.rateLimitPerMinute} requests per minute; retry later`, {
          "retry-after": retryAfter,
        }),
        "rate_limited",
        true,
      );
    }
  }

  if (rawBody === undefined) {
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > MAX_INGEST_BYTES) return refuse(tooLarge(), "payload_too_large");
    const read = await readLimited(request, MAX_INGEST_BYTES);
    if (read === null) return refuse(tooLarge(), "payload_too_large");
    rawBody = read;
  }
  log.detail.content_length = rawBody.length;

  const contentType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const parsed = parseBody(adapter, rawBody, contentType);
  if (parsed.kind === "unsupported") {
    return refuse(
      new ApiError(415, "unsupported_content_type", `content type ${contentType} is not accepted; send application/json`),
      "unsupported_content_type",
    );
  }

  if (jsonDepthExceeds(rawBody)) {
    return refuse(
      new ApiError(422, "json_too_deep", `the body nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels`),
      "json_too_deep",
    );
  }

  const urlToken = pathToken ?? new URL(request.url).searchParams.get("token") ?? undefined;
  const verdict = await verifyRequest({
    config: source.verification,
    headers: request.headers,
    rawBody,
    parsedBody: parsed.kind === "ok" ? parsed.value : undefined,
    urlToken,
    cf: (request as { cf?: Record<string, unknown> }).cf,
    now: receivedAt,
    fetch: guardedFetch({ allowInsecure: allowInsecureDestinations(env), timeoutMs: JWKS_FETCH_TIMEOUT_MS }),
  });
  if (!verdict.ok && verdict.reason === "jwks_unavailable") {
    // We could not check the signature (the provider's key set is unreachable): not the
    // provider's fault, and the event may be genuine — ask for a retry instead of refusing it.
    return refuse(
      new ApiError(503, "jwks_unavailable", "the provider's signing keys could not be fetched; retry later", { "retry-after": "30" }),
      verdict.reason,
      true,
    );
  }
  if (!verdict.ok) {
    return refuse(new ApiError(401, verdict.reason, `the request's proof of origin was refused (${verdict.reason})`), verdict.reason, true);
  }
  if (parsed.kind !== "ok") {
    return refuse(new ApiError(400, "invalid_json", "the body is not valid JSON"), "invalid_json");
  }

  const result = runAdapter(adapter, {
    body: parsed.value,
    rawBody,
    headers: request.headers,
    settings: source.settings,
    receivedAt: new Date(receivedAt),
  });
  if (result.kind === "fetch") {
    return acceptPointer(env, source, adapter, result, { log, rawBody, receivedAt, destinations, configVersion, parsed: parsed.value }, opts.revalidate);
  }
  return commitAndAnswer(
    env,
    { source, destinations, configVersion, events: result.events, raw: rawBody, parsed: parsed.value, receivedAt, log },
    opts.revalidate,
  );
}

async function commitAndAnswer(
  env: Env,
  input: Parameters<typeof acceptEvents>[1] & { log: LogBase },
  revalidate: boolean,
): Promise<Response | Redo> {
  if (input.events.length === 0) {
    await insertIngestLogStatement(env.DB, { ...input.log, result: "accepted", reason: "no_events", eventIds: [] }).run();
    return Response.json({ ok: true, event_ids: [], duplicate: false });
  }
  try {
    const accepted = await acceptEvents(env, input);
    return Response.json({ ok: true, event_ids: accepted.eventIds, duplicate: accepted.duplicate });
  } catch (err) {
    // Fanned out from cached config that has changed: nothing was committed; redo on fresh config.
    if (revalidate && isStaleConfig(err)) return { redo: true, rawBody: input.raw };
    console.error(JSON.stringify({ level: "error", msg: "ingest commit failed", source_id: input.source.id, error: (err as Error).message }));
    // Best effort: the provider is told to retry either way.
    await insertIngestLogStatement(env.DB, { ...input.log, result: "rejected", reason: "commit_failed", eventIds: [], httpStatus: 503 })
      .run()
      .catch(() => undefined);
    return notCommitted();
  }
}

function notCommitted(): Response {
  return errorResponse(new ApiError(503, "not_committed", "the event could not be stored; retry later", { "retry-after": "5" }));
}

/**
 * Pointer callbacks (ShipStation, ShipEngine *_V2): the events come from fetching the
 * resource. The callback is ACKed once the fetch job is durably queued and logged; a URL
 * the SSRF rule refuses, or a source without credentials, is kept as provider.unmapped.
 */
async function acceptPointer(
  env: Env,
  source: SourceConfig,
  adapter: ProviderAdapter,
  result: Extract<AdapterResult, { kind: "fetch" }>,
  ctx: { log: LogBase; rawBody: string; receivedAt: number; destinations: RoutingDestination[]; configVersion: number; parsed: unknown },
  revalidate: boolean,
): Promise<Response | Redo> {
  const { pointer } = result;
  const refusal = !source.credentials
    ? "the source has no provider credentials to fetch the resource with"
    : adapter.isFetchAllowed && !adapter.isFetchAllowed(pointer.resource_url, source.credentials)
      ? "resource_url is not on the provider's API host"
      : adapter.fetchResource
        ? null
        : "this provider's adapter cannot fetch resources";
  if (refusal) {
    const unmapped: NormalizedEvent = {
      type: "provider.unmapped",
      livemode: true,
      source_event: pointer.resource_type,
      data: { ...(ctx.parsed as Record<string, unknown>), fetch_refused: refusal },
    };
    return commitAndAnswer(
      env,
      {
        source,
        destinations: ctx.destinations,
        configVersion: ctx.configVersion,
        events: [...(result.events ?? []), unmapped],
        raw: ctx.rawBody,
        parsed: ctx.parsed,
        receivedAt: ctx.receivedAt,
        log: { ...ctx.log, reason: "fetch_refused" },
      },
      revalidate,
    );
  }
  const job: JobMessage = {
    kind: "fetch",
    workspace_id: source.workspaceId,
    source_id: source.id,
    ingest_log_id: ctx.log.id,
    resource_url: pointer.resource_url,
    resource_type: pointer.resource_type,
    received_at: ctx.receivedAt,
    // Queue messages are limited to 128 KB: a pointer callback is tiny, but never let an odd
    // one make the send fail (and the provider retry forever).
    raw: ctx.rawBody.length <= MAX_JOB_RAW_CHARS ? ctx.rawBody : JSON.stringify(pointer),
  };
  try {
    await env.DB.batch([
      configGuardStatement(env.DB, source.workspaceId, ctx.configVersion),
      insertIngestLogStatement(env.DB, {
        ...ctx.log,
        result: "accepted",
        reason: "pending_fetch",
        eventIds: [],
        detail: { ...ctx.log.detail, resource_type: pointer.resource_type, resource_url: pointer.resource_url },
      }),
    ]);
    await env.JOBS.send(job, { contentType: "json" });
  } catch (err) {
    if (revalidate && isStaleConfig(err)) return { redo: true, rawBody: ctx.rawBody };
    console.error(JSON.stringify({ level: "error", msg: "pointer callback not queued", source_id: source.id, error: (err as Error).message }));
    return errorResponse(new ApiError(503, "not_committed", "the callback could not be queued; retry later", { "retry-after": "5" }));
  }
  return Response.json({ ok: true, event_ids: [], pending_fetch: true });
}

function tooLarge() {
  return new ApiError(413, "payload_too_large", `the body is larger than ${MAX_INGEST_BYTES} bytes`);
}

/** Why the request's headers are refused (too many, or too large in total), or null. */
function oversizedHeaders(headers: Headers): string | null {
  let count = 0;
  let bytes = 0;
  for (const [name, value] of headers) {
    count++;
    bytes += name.length + value.length + 4;
  }
  if (count > MAX_INGEST_HEADERS) return `the request carries more than ${MAX_INGEST_HEADERS} headers`;
  if (bytes > MAX_INGEST_HEADER_BYTES) return `the request's headers exceed ${MAX_INGEST_HEADER_BYTES} bytes`;
  return null;
}

/**
 * The source's rate limit (off unless it sets one), a minute's allowance at most at once.
 * Counted before verification, so a flood is refused cheaply; an IP allowlist keeps
 * strangers from spending a provider's allowance. A limiter that cannot be reached lets
 * the request through: losing events is worse than a burst.
 */
async function rateLimitWait(env: Env, source: SourceConfig): Promise<number> {
  const limit = source.rateLimitPerMinute!;
  try {
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`source:${source.id}`));
    return (await limiter.take(limit, limit)).waitMs;
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "ingest rate limiter unavailable", source_id: source.id, error: (err as Error).message }));
    return 0;
  }
}

async function readLimited(request: Request, limit: number): Promise<string | null> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(all);
}

/** "invalid" carries no parser message: V8's quotes the body, which is not ours to echo. */
type Parsed = { kind: "ok"; value: unknown } | { kind: "invalid" } | { kind: "unsupported" };

const JSON_TYPES = new Set(["", "application/json", "text/json", "text/plain"]);

function parseBody(adapter: ProviderAdapter, raw: string, contentType: string): Parsed {
  const isJson = JSON_TYPES.has(contentType) || contentType.endsWith("+json");
  if (!isJson) {
    if (!adapter.parseBody) return { kind: "unsupported" };
    try {
      const value = adapter.parseBody(raw, contentType);
      return value === undefined ? { kind: "unsupported" } : { kind: "ok", value };
    } catch {
      return { kind: "invalid" };
    }
  }
  try {
    return { kind: "ok", value: JSON.parse(raw) };
  } catch {
    return { kind: "invalid" };
  }
}

/**
 * Runs the provider's adapter. A payload it cannot read is still kept, as
 * provider.unmapped with the reason in data.parse_error: a provider must never be told to
 * give up on an event we could still store.
 */
function runAdapter(adapter: ProviderAdapter, input: Parameters<ProviderAdapter["normalize"]>[0]): AdapterResult {
  try {
    return adapter.normalize(input);
  } catch (err) {
    const known = err instanceof AdapterParseError;
    const message = known ? err.message : "the adapter could not read this payload";
    if (!known) console.error(JSON.stringify({ level: "error", msg: "adapter crashed", provider: adapter.provider, error: (err as Error).message }));
    const body = input.body;
    return {
      kind: "events",
      events: [
        {
          type: "provider.unmapped",
          livemode: true,
          source_event: guessEventName(body),
          data: {
            payload: body,
            parse_error: known && err.field ? `${err.field}: ${message}` : message,
          },
        },
      ],
    };
  }
}

function guessEventName(body: unknown): string {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    for (const key of ["event", "type", "Event", "resource_type", "description", "topic"]) {
      if (typeof b[key] === "string" && b[key]) return (b[key] as string).slice(0, 100);
    }
  }
  return "unknown";
}
