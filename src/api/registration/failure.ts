import { PartialRegistrationError } from "../../registration";
import type { AppContext } from "../app";

/**
 * A registration or removal that stopped part-way answers with the envelope plus what was
 * and was not done; any other error goes to the error handler.
 */
export function partialFailure(c: AppContext, err: unknown) {
  if (!(err instanceof PartialRegistrationError)) throw err;
  const requestId = c.get("requestId");
  const body = { error: { code: err.code, message: err.message, ...(requestId ? { request_id: requestId } : {}), ...err.progress } };
  return c.json(body, err.status as 422 | 502);
}
