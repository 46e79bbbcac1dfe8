/**
 * The URL a provider calls for a source (CONTRACT.md "Sources"): `<base>/in/<source id>`,
 * with `?token=` for a url_token source when the token is known (else as given, e.g. masked).
 */
export function ingestUrl(base: string, sourceId: string, token?: string): string {
  return `${base}/in/${sourceId}${token ? `?token=${encodeURIComponent(token)}` : ""}`;
}
