import { describe, expect, it } from "vitest";
import { ApiError, apiError, ERROR_STATUS, errorCode } from "../../src/lib/errors";

describe("error codes", () => {
  it("are one closed set, each with its status", () => {
    expect(errorCode.options).toEqual(Object.keys(ERROR_STATUS));
    expect(errorCode.safeParse("made_up").success).toBe(false);
    expect(apiError("payload_too_large", "too big")).toMatchObject({ status: 413, code: "payload_too_large" });
  });

  it("include the codes CONTRACT.md's Additions name", () => {
    expect(ERROR_STATUS).toMatchObject({
      limit_exceeded: 422,
      payload_too_large: 413,
      idempotency_key_reused: 422,
      idempotency_key_in_use: 409,
      unknown_field: 400,
      invalid_transform: 400,
      last_key: 409,
      not_configured: 503,
    });
  });

  it("a caller may answer a code with another status (a callback's missing credentials are 401)", () => {
    const err = new ApiError(401, "missing_credentials", "no credentials");
    expect(err.status).toBe(401);
    expect(ERROR_STATUS.missing_credentials).toBe(422);
  });
});
