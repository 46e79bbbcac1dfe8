import type { z } from "zod";
import type { clientCertVerificationSchema, VerificationResult } from "./types";

export type ClientCertConfig = z.infer<typeof clientCertVerificationSchema>;

/** ShipEdge certificate identification via request.cf.tlsClientAuth. (Being written.) */
export function verifyClientCert(
  _cfg: ClientCertConfig,
  _cf: Record<string, unknown> | undefined,
  _headers: Headers,
): VerificationResult {
  return { ok: false, reason: "missing_client_certificate" };
}
