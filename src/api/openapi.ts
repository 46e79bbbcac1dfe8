import { z } from "@hono/zod-openapi";
import { ERROR_STATUS, errorCode } from "../lib/errors";

const CODE_TABLE = Object.entries(ERROR_STATUS)
  .map(([code, status]) => `${code} (${status})`)
  .join(", ");

/** Shared pieces of the OpenAPI description. */
export const errorSchema = z
  .object({
    error: z.object({
      code: errorCode.openapi({ example: "invalid_request", description: `one of a closed set, each with its usual status: ${CODE_TABLE}` }),
      message: z.string().openapi({ example: "url: must be an https URL" }),
      request_id: z.string().optional(),
    }),
  })
  .openapi("Error");

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "malformed or invalid input (the message names the field)",
  401: "missing or bad credentials",
  403: "not allowed",
  404: "not found (also for another workspace's objects)",
  409: "conflict",
  413: "payload too large",
  415: "unsupported content type",
  422: "well-formed but unprocessable",
  429: "rate limited (see retry-after)",
  502: "the provider failed",
  503: "not configured",
};

export function errorResponses<S extends number>(...statuses: S[]) {
  const out = {} as Record<S, { description: string; content: { "application/json": { schema: typeof errorSchema } } }>;
  for (const s of statuses) {
    out[s] = { description: ERROR_DESCRIPTIONS[s] ?? "error", content: { "application/json": { schema: errorSchema } } };
  }
  return out;
}

export function jsonBody<T extends z.ZodType>(schema: T, required = true) {
  return { required, content: { "application/json": { schema } } };
}

/**
 * For a POST that takes no options: an empty (or absent) body, so a field sent anyway is
 * 400 unknown_field instead of silently ignored.
 */
export const noOptionsBody = () => jsonBody(z.strictObject({}).openapi("NoOptions", { description: "no options: send no body, or {}" }), false);

export const idParam = (prefix: string) =>
  z.object({ id: z.string().min(1).max(100).openapi({ param: { name: "id", in: "path" }, example: `${prefix}_01j…` }) });
