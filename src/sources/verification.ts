import type { VerificationConfig } from "../db/source-shapes";
import type { ProviderName } from "../events/canonical";
import { adapterFor } from "../ingest/providers";
import { allowInsecureDestinations } from "../lib/config";
import { badRequest, unprocessable } from "../lib/errors";
import { randomToken } from "../lib/ids";
import { outboundUrlProblem } from "../lib/url-safety";
import type { RequestedVerification } from "./schemas";

/** Secrets the relay generated, shown once (a secret; a url_token source's token). */
export interface Reveal {
  secret?: string;
  token?: string;
}

/** Random secret for HMAC schemes, passwords and header values the relay generates. */
const generateSecret = () => randomToken(32);
const generateToken = () => randomToken(24);

/**
 * Completes a requested verification: the provider preset when none is given, the preset
 * plus a provider-issued secret for `{secret}`, and generated secrets/tokens where needed.
 * Returns what to reveal once (generated secret, URL token).
 */
export function resolveVerification(
  env: Env,
  provider: ProviderName,
  requested: RequestedVerification,
): { verification: VerificationConfig; reveal: Reveal } {
  const preset = adapterFor(provider).verificationPreset;
  let v: VerificationConfig;
  if (!requested) v = { ...preset };
  else if ("type" in requested) v = requested;
  else {
    if (preset.type !== "hmac") {
      throw badRequest(
        `verification.secret: the ${provider} preset (${preset.type}) takes no secret; give a full verification object`,
      );
    }
    v = { ...preset, secret: requested.secret };
  }
  const reveal: Reveal = {};
  if (v.type === "hmac" && !v.secret) v = { ...v, secret: (reveal.secret = generateSecret()) };
  if (v.type === "url_token") v = { ...v, token: (reveal.token = v.token ?? generateToken()) };
  if (v.type === "rsa_jwks") {
    const problem = outboundUrlProblem(v.jwks_url, { allowInsecure: allowInsecureDestinations(env) });
    if (problem) throw badRequest(`verification.jwks_url: ${problem}`);
  }
  return { verification: v, reveal };
}

/**
 * The new secret part of a rotation: the given secret or a generated one (a url_token
 * source always gets a generated token). 422 for a type with no secret of its own.
 */
export function rotatedSecret(type: VerificationConfig["type"], given: string | undefined): { secret: Record<string, unknown>; reveal: Reveal } {
  const reveal: Reveal = {};
  switch (type) {
    case "hmac":
      return { secret: { secret: (reveal.secret = given ?? generateSecret()) }, reveal };
    case "url_token":
      return { secret: { token: (reveal.token = generateToken()) }, reveal };
    case "basic":
      return { secret: { password: (reveal.secret = given ?? generateSecret()) }, reveal };
    case "header":
      return { secret: { value: (reveal.secret = given ?? generateSecret()) }, reveal };
    default:
      throw unprocessable("nothing_to_rotate", `a ${type} source has no secret of its own to rotate`);
  }
}
