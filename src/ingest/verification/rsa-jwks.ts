import type { VerificationResult } from "./types";
import type { z } from "zod";
import type { rsaJwksVerificationSchema } from "./types";

export type RsaJwksConfig = z.infer<typeof rsaJwksVerificationSchema>;

export interface RsaJwksOptions {
  now: number;
  fetch: typeof fetch;
}

/** ShipEngine-style RSA-SHA256 over "<timestamp>.<body>" with the key from a JWKS. (Being written.) */
export async function verifyRsaJwks(
  _cfg: RsaJwksConfig,
  _headers: Headers,
  _rawBody: string,
  _opts: RsaJwksOptions,
): Promise<VerificationResult> {
  return { ok: false, reason: "jwks_unavailable" };
}
