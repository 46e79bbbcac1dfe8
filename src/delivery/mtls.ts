/**
 * Client certificates (mTLS) for destinations that demand them. The operator uploads the
 * certificate (`wrangler mtls-certificate upload`) and binds it in wrangler.toml
 * (`[[mtls_certificates]] binding = "MTLS_ACME"`); a destination names the binding in
 * `mtls_certificate`, and its deliveries go through that binding's `fetch`, which presents
 * the certificate in the TLS handshake.
 *
 * Only bindings named `MTLS_…` can be named: a destination must never be able to route its
 * traffic through some other fetch-capable binding (a service binding) of this Worker.
 * mTLS bindings exist only on Cloudflare: `wrangler dev` and the tests have none.
 */
export const MTLS_BINDING_PATTERN = /^MTLS_[A-Z0-9_]{1,96}$/;

/** The binding's fetcher, or null when this Worker has no such mTLS binding. */
export function mtlsFetcher(env: Env, name: string): Pick<Fetcher, "fetch"> | null {
  if (!MTLS_BINDING_PATTERN.test(name)) return null;
  const binding = (env as unknown as Record<string, unknown>)[name];
  if (!binding || typeof (binding as { fetch?: unknown }).fetch !== "function") return null;
  return binding as Pick<Fetcher, "fetch">;
}
