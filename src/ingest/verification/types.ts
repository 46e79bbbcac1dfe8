// The stored shape of a source's verification config lives with the sources table.
export {
  basicVerificationSchema,
  clientCertVerificationSchema,
  headerVerificationSchema,
  hmacVerificationSchema,
  noneVerificationSchema,
  rsaJwksVerificationSchema,
  urlTokenVerificationSchema,
  verificationSchema,
  type VerificationConfig,
  type VerificationType,
} from "../../db/source-shapes";

/** Why a callback was refused; becomes the ingest log's `reason`. */
export type VerificationFailure =
  | "missing_signature"
  | "invalid_signature"
  | "missing_credentials"
  | "invalid_credentials"
  | "missing_token"
  | "invalid_token"
  | "timestamp_out_of_window"
  | "unknown_key"
  | "jwks_unavailable"
  | "missing_client_certificate"
  | "invalid_client_certificate";

export type VerificationResult = { ok: true } | { ok: false; reason: VerificationFailure };
