import { z } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Every error code the relay answers with, and the status each answers with by default.
 * Add a code here (with its status) before using it: `ApiError` takes no other. The
 * OpenAPI document's `Error` schema lists them (src/api/openapi.ts).
 */
export const ERROR_STATUS = {
  // 400: malformed or invalid input
  invalid_request: 400,
  invalid_json: 400,
  unknown_field: 400,
  invalid_transform: 400,
  // 401: missing or bad credentials, or a callback's proof of origin refused
  unauthorized: 401,
  missing_token: 401,
  invalid_token: 401,
  missing_api_key: 401,
  invalid_api_key: 401,
  missing_signature: 401,
  invalid_signature: 401,
  invalid_credentials: 401,
  timestamp_out_of_window: 401,
  unknown_key: 401,
  missing_client_certificate: 401,
  invalid_client_certificate: 401,
  // 403
  forbidden: 403,
  csrf_failed: 403,
  ip_not_allowed: 403,
  // 404, 405
  not_found: 404,
  method_not_allowed: 405,
  // 409: conflict
  unsubscribe_failed: 409,
  idempotency_key_in_use: 409,
  last_key: 409,
  registration_in_progress: 409,
  // 413, 415, 431
  payload_too_large: 413,
  unsupported_content_type: 415,
  headers_too_large: 431,
  // 422: well-formed but unprocessable. `missing_credentials` is also a callback's 401.
  json_too_deep: 422,
  endpoint_unverified: 422,
  nothing_to_rotate: 422,
  registration_not_supported: 422,
  missing_credentials: 422,
  invalid_api_base_url: 422,
  invalid_settings: 422,
  ingest_url_not_public: 422,
  provider_rejected: 422,
  limit_exceeded: 422,
  idempotency_key_reused: 422,
  // 429
  rate_limited: 429,
  // 5xx
  internal_error: 500,
  provider_error: 502,
  not_configured: 503,
  not_committed: 503,
  jwks_unavailable: 503,
  /** A hono HTTPException none of the codes above describes; it keeps its own status. */
  http_error: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

/** The closed set of error codes (CONTRACT.md, "Errors" and "Additions"). */
export const errorCode = z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]);
export type ErrorCode = z.infer<typeof errorCode>;

/**
 * The one error type of the relay. Everything the API or ingest route refuses is thrown as
 * an ApiError and rendered by `errorResponse` as CONTRACT.md's envelope:
 * `{"error": {"code", "message"}}` — never a stack trace, never a secret. The status is the
 * code's (`apiError`) unless a caller names another.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** An ApiError with its code's own status (ERROR_STATUS). */
export const apiError = (code: ErrorCode, message: string, headers?: Record<string, string>) =>
  new ApiError(ERROR_STATUS[code], code, message, headers);

export const badRequest = (message: string, code: ErrorCode = "invalid_request") => apiError(code, message);
export const unauthorized = (message: string, code: ErrorCode = "unauthorized") => apiError(code, message);
export const notFound = (what: string) => apiError("not_found", `${what} not found`);
export const unprocessable = (code: ErrorCode, message: string) => new ApiError(422, code, message);
export const notConfigured = (message: string) => apiError("not_configured", message);

export function errorBody(code: ErrorCode, message: string, requestId?: string) {
  return { error: { code, message, ...(requestId ? { request_id: requestId } : {}) } };
}

export function errorResponse(err: ApiError, requestId?: string): Response {
  return new Response(JSON.stringify(errorBody(err.code, err.message, requestId)), {
    status: err.status,
    headers: { "content-type": "application/json; charset=utf-8", ...err.headers },
  });
}
