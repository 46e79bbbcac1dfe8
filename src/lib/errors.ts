import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error type of the relay. Everything the API or ingest route refuses is thrown as
 * an ApiError and rendered by `errorResponse` as CONTRACT.md's envelope:
 * `{"error": {"code", "message"}}` — never a stack trace, never a secret.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (message: string, code = "invalid_request") => new ApiError(400, code, message);
export const unauthorized = (message: string, code = "unauthorized") => new ApiError(401, code, message);
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);
export const unprocessable = (code: string, message: string) => new ApiError(422, code, message);
export const notConfigured = (message: string) => new ApiError(503, "not_configured", message);

export function errorBody(code: string, message: string, requestId?: string) {
  return { error: { code, message, ...(requestId ? { request_id: requestId } : {}) } };
}

export function errorResponse(err: ApiError, requestId?: string): Response {
  return new Response(JSON.stringify(errorBody(err.code, err.message, requestId)), {
    status: err.status,
    headers: { "content-type": "application/json; charset=utf-8", ...err.headers },
  });
}
