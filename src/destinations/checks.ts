import type { Db } from "../db/client";
import { existingSourceIds } from "../db/sources";
import { mtlsFetcher } from "../delivery/mtls";
import { isReservedHeader } from "../delivery/send";
import { allowInsecureDestinations } from "../lib/config";
import { badRequest } from "../lib/errors";
import { outboundUrlProblem } from "../lib/url-safety";

/** The relay must be allowed to call the URL (https, public address: lib/url-safety.ts). */
export function checkUrl(env: Env, field: string, url: string) {
  const problem = outboundUrlProblem(url, { allowInsecure: allowInsecureDestinations(env) });
  if (problem) throw badRequest(`${field}: ${problem}`);
}

/** The named mTLS binding must exist on this Worker, or every delivery would fail. */
export function checkMtls(env: Env, name: string | null | undefined) {
  if (name && !mtlsFetcher(env, name)) {
    throw badRequest(`mtls_certificate: this Worker has no mtls_certificates binding named ${name}`);
  }
}

/** Custom headers may not replace the ones the relay signs and sends. */
export function checkHeaders(headers: Record<string, string> | null | undefined) {
  for (const name of Object.keys(headers ?? {})) {
    if (isReservedHeader(name)) {
      throw badRequest(`headers.${name}: is set by the relay and cannot be overridden`);
    }
  }
}

/** Every source a destination is limited to must be one of the workspace's. */
export async function checkSources(db: Db, workspaceId: string, ids: string[] | null | undefined) {
  if (!ids?.length) return;
  const known = await existingSourceIds(db, workspaceId, ids);
  const missing = ids.findIndex((id) => !known.has(id));
  if (missing >= 0) throw badRequest(`sources.${missing}: no such source`);
}
