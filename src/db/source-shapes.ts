import { z } from "zod";

/**
 * The shapes of what a source stores as JSON (its verification config, its provider API
 * credentials). They live with the table so that `db/` and everything above it share one
 * definition; ingest's verification checks and the provider adapters read them from here.
 */

/**
 * How a source proves a callback came from its provider (CONTRACT.md, Sources).
 * Secrets inside these objects are encrypted at rest and never returned after creation.
 */
export const hmacVerificationSchema = z.object({
  type: z.literal("hmac"),
  header: z.string().min(1).max(100),
  algorithm: z.enum(["sha256", "sha1", "sha512"]).default("sha256"),
  encoding: z.enum(["hex", "base64"]).default("hex"),
  prefix: z.string().max(50).default(""),
  secret: z.string().min(1).max(500).optional(),
  /**
   * Key preparation before HMAC: "nfkd" for EasyPost, which NFKD-normalizes the secret.
   */
  key_normalization: z.enum(["none", "nfkd"]).default("none"),
  /** AtoShip: also accept the HMAC over JSON.stringify(JSON.parse(body)). */
  allow_reserialized: z.boolean().default(false),
});

export const basicVerificationSchema = z.object({
  type: z.literal("basic"),
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(500),
});

export const headerVerificationSchema = z.object({
  type: z.literal("header"),
  name: z.string().min(1).max(100),
  value: z.string().min(1).max(2000),
});

export const urlTokenVerificationSchema = z.object({
  type: z.literal("url_token"),
  token: z.string().min(16).max(200).optional(),
});

export const rsaJwksVerificationSchema = z.object({
  type: z.literal("rsa_jwks"),
  jwks_url: z.string().url(),
  /** Seconds a signed timestamp may be off (ShipEngine: 5 min). */
  tolerance_seconds: z.number().int().min(1).max(3600).default(300),
});

export const clientCertVerificationSchema = z.object({
  type: z.literal("client_cert"),
  fingerprint_sha256: z.string().min(32).max(128),
  /** Optionally also require a header (ShipEdge custom header). */
  header: z.object({ name: z.string().min(1), value: z.string().min(1) }).optional(),
});

export const noneVerificationSchema = z.object({ type: z.literal("none") });

export const verificationSchema = z.discriminatedUnion("type", [
  hmacVerificationSchema,
  basicVerificationSchema,
  headerVerificationSchema,
  urlTokenVerificationSchema,
  rsaJwksVerificationSchema,
  clientCertVerificationSchema,
  noneVerificationSchema,
]);

export type VerificationConfig = z.infer<typeof verificationSchema>;
export type VerificationType = VerificationConfig["type"];

/** Credentials a source holds for calling the provider's API (stored encrypted). */
export interface ProviderCredentials {
  api_key: string;
  api_secret?: string;
  api_base_url?: string;
}
