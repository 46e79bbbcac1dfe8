import { ipInCidrs } from "../lib/cidr";
import { allowInsecureDestinations } from "../lib/config";
import { ApiError } from "../lib/errors";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "../lib/json-depth";
import { guardedFetch } from "../lib/url-safety";
import { runAdapter } from "./adapter-run";
import { decodeUtf8, parseBody } from "./body";
import { commitCallback } from "./commit";
import type { IngestOutcome, LogBase } from "./outcome";
import { newIngestLogId } from "./pipeline";
import { acceptPointer } from "./pointer";
import { recordRefusal } from "./refusals";
import { adapterFor } from "./providers";
import { MAX_INGEST_BYTES, oversizedHeaders, rateLimitWait, readLimited } from "./request-limits";
import { mayRecheck, type IngestConfig } from "./source-config";
import { verifyRequest } from "./verification";

/** How long a JWKS fetch during verification may take. */
const JWKS_FETCH_TIMEOUT_MS = 5000;

export interface AcceptOptions {
  pathToken: string | undefined;
  receivedAt: number;
  /** The config came from the isolate cache: refusals it decides and stale commits are redone on fresh config. */
  revalidate: boolean;
  /** The body, when an earlier run already read it. */
  rawBody?: string;
  /** The request's id (the `request-id` header), kept in its ingest-log row to find it by. */
  requestId?: string;
  /** Keeps the isolate for background work after the answer (folded refusal counts). */
  waitUntil: (p: Promise<unknown>) => void;
  /** Its bytes, when an earlier run read them. */
  rawBytes?: Uint8Array;
}

/**
 * Takes one provider callback through its checks, in this order: the source's IP allowlist
 * (403), header limits (431), its rate limit (429, only when the source sets one), size (413),
 * content type (415), JSON nesting (422), proof of origin (401, or 503 when the provider's
 * keys are unreachable), JSON (400); then the adapter, and a commit or a fetch job. Cheap
 * refusals come first, so a flood costs little. Every refusal lands in the ingest log with
 * its reason before it is answered.
 */
export async function acceptCallback(env: Env, request: Request, config: IngestConfig, opts: AcceptOptions): Promise<IngestOutcome> {
  const { source, destinations, configVersion } = config;
  const { receivedAt, pathToken, revalidate } = opts;
  const adapter = adapterFor(source.provider);
  let rawBody: string | undefined = opts.rawBody;
  let rawBytes: Uint8Array | undefined = opts.rawBytes;

  const ip = request.headers.get("cf-connecting-ip");
  const log: LogBase = {
    id: newIngestLogId(receivedAt),
    workspaceId: source.workspaceId,
    sourceId: source.id,
    at: receivedAt,
    reason: null,
    httpStatus: 200,
    detail: {
      ...(ip ? { ip } : {}),
      ...(opts.requestId ? { request_id: opts.requestId } : {}),
      content_length: Number(request.headers.get("content-length") ?? 0) || undefined,
    },
  };
  /** `configDependent`: a different config could have let it through (allowlist, limit, proof of origin). */
  const refuse = async (error: ApiError, reason: string, configDependent = false): Promise<IngestOutcome> => {
    if (configDependent && revalidate && mayRecheck(source.id)) return { kind: "redo", rawBody, rawBytes };
    const sample = { ...log.detail, headers: Object.fromEntries(request.headers) };
    await recordRefusal(env.DB, { ...log, detail: sample, result: "rejected", reason, eventIds: [], httpStatus: error.status }, opts.waitUntil);
    return { kind: "refused", error };
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
    rawBytes = read;
    rawBody = decodeUtf8(read) ?? "";
  }
  // Bytes that are not UTF-8 are checked for their signature first, then answered 400.
  const undecodable = rawBytes !== undefined && rawBody === "" && decodeUtf8(rawBytes) === null;
  log.detail.content_length = rawBytes?.length ?? rawBody.length;

  const contentType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const parsed = undecodable ? ({ kind: "invalid" } as const) : parseBody(adapter, rawBody, contentType);
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
    rawBytes,
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
  if (undecodable) return refuse(new ApiError(400, "invalid_json", "the body is not valid UTF-8"), "invalid_json");
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
  const checked = { source, destinations, configVersion, rawBody, parsed: parsed.value, receivedAt, log, revalidate };
  if (result.kind === "fetch") return acceptPointer(env, checked, adapter, result);
  return commitCallback(env, checked, result.events);
}

function tooLarge() {
  return new ApiError(413, "payload_too_large", `the body is larger than ${MAX_INGEST_BYTES} bytes`);
}
