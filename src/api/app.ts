import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, apiError, badRequest, errorResponse } from "../lib/errors";
import type { AppEnv, AppVariables } from "../lib/app-env";

/** Variables the middleware puts on the context. */
export type { AppEnv, AppVariables };
export type AppContext = Context<AppEnv>;

/**
 * An OpenAPIHono whose request validation failures become the contract's 400 envelope,
 * naming the field that is wrong — or, when the body carries fields the route does not
 * know (a misspelt `"retrys"`), `400 unknown_field` naming every one of them: silently
 * dropping an option would save something other than what was asked.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const unknown = unknownFields(result.error.issues);
        if (unknown.length) {
          throw badRequest(`unknown field${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`, "unknown_field");
        }
        const issue = result.error.issues[0];
        const field = issue?.path.length ? issue.path.join(".") : undefined;
        const message = issue ? (field ? `${field}: ${issue.message}` : issue.message) : "invalid request";
        throw badRequest(message);
      }
    },
  });
}

type Issue = { code: string; path: PropertyKey[]; keys?: string[]; errors?: Issue[][] };

/**
 * The dotted paths of the keys a strict schema refused (`retry.max_attemps`). A union that
 * failed in every branch counts a branch whose only complaints are unknown keys, else the
 * unknown keys all its branches share.
 */
export function unknownFields(issues: readonly Issue[], base: PropertyKey[] = []): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys ?? []) out.push([...path, key].map(String).join("."));
    } else if (issue.code === "invalid_union" && issue.errors?.length) {
      // A branch whose only complaint is unknown keys is the one meant; else the keys every branch refuses.
      const branch = issue.errors.find((b) => b.length > 0 && b.every((i) => i.code === "unrecognized_keys"));
      if (branch) out.push(...unknownFields(branch, path));
      else {
        const [first, ...rest] = issue.errors.map((b) => unknownFields(b, path));
        out.push(...first!.filter((f) => rest.every((r) => r.includes(f))));
      }
    }
  }
  return out;
}

/**
 * The one error handler, in three tiers: our ApiError as is; Hono's HTTPException (malformed
 * JSON, …) mapped to the envelope; anything else logged (without request data) and a 500.
 * Every app of the Worker (API, ingest, console sign-in limits) ends here, so there is one
 * envelope; the console renders its own pages instead (src/dashboard/index.tsx).
 */
export function handleError(err: Error, c: Context): Response {
  const requestId = c.get("requestId") as string | undefined;
  if (err instanceof ApiError) return errorResponse(err, requestId);
  if (err instanceof HTTPException) return errorResponse(fromHttpException(err), requestId);
  // Drizzle's messages end with the bound parameters (sealed secrets, URLs): never log those.
  const detail = (err.message ?? "").split("\nparams:")[0]!.slice(0, 300);
  console.error(JSON.stringify({ level: "error", msg: "unhandled error", request_id: requestId, error: err.name, detail }));
  return errorResponse(apiError("internal_error", "an internal error occurred; it has been logged"), requestId);
}

function fromHttpException(err: HTTPException): ApiError {
  if (err.status === 400) return apiError("invalid_json", "the request body is not valid JSON");
  if (err.status === 413) return apiError("payload_too_large", err.message || "request refused");
  return new ApiError(err.status, "http_error", err.message || "request refused");
}
