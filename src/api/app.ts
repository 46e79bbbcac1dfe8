import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, errorResponse } from "../lib/errors";

/** Variables the middleware puts on the context. */
export interface AppVariables {
  workspaceId: string;
  requestId: string;
}
export type AppEnv = { Bindings: Env; Variables: AppVariables };
export type AppContext = Context<AppEnv>;

/**
 * An OpenAPIHono whose request validation failures become the contract's 400 envelope,
 * naming the field that is wrong.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const field = issue?.path.length ? issue.path.join(".") : undefined;
        const message = issue ? (field ? `${field}: ${issue.message}` : issue.message) : "invalid request";
        throw new ApiError(400, "invalid_request", message);
      }
    },
  });
}

/**
 * The one error handler, in three tiers: our ApiError as is; Hono's HTTPException (malformed
 * JSON, …) mapped to the envelope; anything else logged (without request data) and a 500.
 */
export function handleError(err: Error, c: Context): Response {
  const requestId = c.get("requestId") as string | undefined;
  if (err instanceof ApiError) return errorResponse(err, requestId);
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 400 ? "invalid_json" : status === 413 ? "payload_too_large" : "http_error";
    const message = status === 400 ? "the request body is not valid JSON" : err.message || "request refused";
    return errorResponse(new ApiError(status, code, message), requestId);
  }
  // Drizzle's messages end with the bound parameters (sealed secrets, URLs): never log those.
  const detail = (err.message ?? "").split("\nparams:")[0]!.slice(0, 300);
  console.error(JSON.stringify({ level: "error", msg: "unhandled error", request_id: requestId, error: err.name, detail }));
  return errorResponse(new ApiError(500, "internal_error", "an internal error occurred; it has been logged"), requestId);
}
