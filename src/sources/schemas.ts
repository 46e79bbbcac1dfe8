import { z } from "@hono/zod-openapi";
import {
  basicVerificationSchema,
  clientCertVerificationSchema,
  headerVerificationSchema,
  hmacVerificationSchema,
  noneVerificationSchema,
  rsaJwksVerificationSchema,
  urlTokenVerificationSchema,
} from "../db/source-shapes";
import { PROVIDERS } from "../events/canonical";
import { isValidCidr } from "../lib/cidr";

/**
 * What a source may be created, updated or rotated with: the API validates request bodies
 * with these, and the domain functions take the parsed values. Objects are strict (a misspelt
 * option is 400 unknown_field); `settings` is the adapter's own map, so it stays a record.
 */

/** The stored verification shapes (db/source-shapes.ts), strict as a request takes them. */
const verificationSchema = z.discriminatedUnion("type", [
  hmacVerificationSchema.strict(),
  basicVerificationSchema.strict(),
  headerVerificationSchema.strict(),
  urlTokenVerificationSchema.strict(),
  rsaJwksVerificationSchema.strict(),
  clientCertVerificationSchema.extend({ header: clientCertVerificationSchema.shape.header.unwrap().strict().optional() }).strict(),
  noneVerificationSchema.strict(),
]);

const secretOnlySchema = z
  .object({ secret: z.string().min(1).max(500) })
  .strict()
  .openapi({ description: "Just the provider-issued secret; the provider preset fills in the rest" });

const credentialsSchema = z
  .strictObject({
    api_key: z.string().min(1).max(500),
    api_secret: z.string().min(1).max(500).optional(),
    api_base_url: z.url().optional(),
  })
  .openapi("ProviderCredentials");

const cidrSchema = z.string().refine(isValidCidr, "must be an IPv4 or IPv6 CIDR (or address)");

const sourceFields = {
  name: z.string().trim().min(1).max(200),
  verification: z.union([verificationSchema, secretOnlySchema]).optional(),
  credentials: credentialsSchema.optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  rate_limit_per_minute: z.number().int().min(1).max(1_000_000).nullable().optional(),
  ip_allowlist: z.array(cidrSchema).max(100).nullable().optional(),
};

export const createSourceSchema = z.strictObject({ ...sourceFields, provider: z.enum(PROVIDERS) }).openapi("CreateSource");
export const updateSourceSchema = z
  .strictObject({ ...sourceFields, name: sourceFields.name.optional() })
  .openapi("UpdateSource");
export const rotateSourceSchema = z.strictObject({ secret: z.string().min(1).max(500).optional() }).openapi("RotateSourceSecret");

export type CreateSourceInput = z.infer<typeof createSourceSchema>;
export type UpdateSourceInput = z.infer<typeof updateSourceSchema>;
export type RotateSourceInput = z.infer<typeof rotateSourceSchema>;
/** A full verification object, or `{secret}` for the provider preset. */
export type RequestedVerification = z.infer<typeof sourceFields.verification>;
export type CredentialsInput = z.infer<typeof credentialsSchema>;
