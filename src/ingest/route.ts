import { Hono, type Context } from "hono";
import { ApiError, errorResponse } from "../lib/errors";
import type { AppEnv } from "../lib/app-env";
import { acceptCallback } from "./accept";
import type { IngestOutcome } from "./outcome";
import { ingestConfig, reloadIngestConfig } from "./source-config";

const SOURCE_ID = /^src_[0-9a-z]{26}$/;

/**
 * `POST /in/:sourceId` — the provider-facing route. An unknown source is 404; the rest of the
 * checks, the adapter and the commit are the accept step (src/ingest/accept.ts). Every
 * request, accepted or refused, lands in the ingest log with a reason; a 2xx is sent only
 * after the commit (src/orders/sequencer.ts).
 */
export const ingestRoutes = new Hono<AppEnv>();

ingestRoutes.post("/in/:sourceId", (c) => handleIngest(c.env, c.req.raw, c.req.param("sourceId"), undefined, requestContext(c)));
ingestRoutes.post("/in/:sourceId/:token", (c) => handleIngest(c.env, c.req.raw, c.req.param("sourceId"), c.req.param("token"), requestContext(c)));
ingestRoutes.all("/in/*", () => errorResponse(new ApiError(405, "method_not_allowed", "providers POST to /in/<source id>", { allow: "POST" })));

/**
 * Ingests one callback, first on the isolate's cached config; an outcome decided on cached
 * config that may have changed since (`redo`) is run once more on a fresh read.
 */
/** What ingest needs of the request's context: its id, and a way to finish work after the answer. */
export interface RequestContext {
  requestId?: string;
  waitUntil: (p: Promise<unknown>) => void;
}

function requestContext(c: Context<AppEnv>): RequestContext {
  return { requestId: c.get("requestId"), waitUntil: (p) => c.executionCtx.waitUntil(p) };
}

export async function handleIngest(
  env: Env,
  request: Request,
  sourceId: string,
  pathToken: string | undefined,
  ctx: RequestContext,
): Promise<Response> {
  const receivedAt = Date.now();
  if (!SOURCE_ID.test(sourceId)) return sourceNotFound();

  const found = await ingestConfig(env, sourceId);
  if (!found) return sourceNotFound();
  const first = await acceptCallback(env, request, found.config, { pathToken, receivedAt, revalidate: found.cached, ...ctx });
  if (first.kind !== "redo") return answer(first);

  const fresh = await reloadIngestConfig(env, sourceId);
  if (!fresh) return sourceNotFound();
  const second = await acceptCallback(env, request, fresh, { pathToken, receivedAt, revalidate: false, rawBody: first.rawBody, rawBytes: first.rawBytes, ...ctx });
  return answer(second.kind === "redo" ? { kind: "not_committed", message: "the event could not be stored; retry later" } : second);
}

/** The provider's answer (CONTRACT.md). */
function answer(outcome: Exclude<IngestOutcome, { kind: "redo" }>): Response {
  switch (outcome.kind) {
    case "accepted":
    case "duplicate":
      return Response.json({ ok: true, event_ids: outcome.eventIds, duplicate: outcome.kind === "duplicate" });
    case "pending_fetch":
      return Response.json({ ok: true, event_ids: [], pending_fetch: true });
    case "refused":
      return errorResponse(outcome.error);
    case "not_committed":
      return errorResponse(new ApiError(503, "not_committed", outcome.message, { "retry-after": "5" }));
  }
}

function sourceNotFound(): Response {
  return errorResponse(new ApiError(404, "not_found", "source not found"));
}
