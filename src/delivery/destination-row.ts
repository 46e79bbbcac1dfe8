import type { DestinationRow } from "../db/destinations";

/**
 * Maps a raw `SELECT * FROM destinations` row (D1's snake_case, JSON as text) to the drizzle
 * row shape. The delivery path reads destinations with plain prepared statements: it runs
 * once per attempt, and batches them with the attempt's other writes.
 */
export function destinationFromSql(r: Record<string, unknown>): DestinationRow {
  const json = <T>(v: unknown): T | null => (typeof v === "string" ? (JSON.parse(v) as T) : null);
  const int = (v: unknown): number | null => (typeof v === "number" ? v : null);
  return {
    id: r.id as string,
    workspaceId: r.workspace_id as string,
    name: (r.name as string | null) ?? null,
    url: r.url as string,
    backupUrl: (r.backup_url as string | null) ?? null,
    events: json<string[]>(r.events),
    sourceIds: json<string[]>(r.source_ids),
    status: r.status as DestinationRow["status"],
    disabledReason: (r.disabled_reason as string | null) ?? null,
    disabledAt: int(r.disabled_at),
    headersEnc: (r.headers_enc as string | null) ?? null,
    authEnc: (r.auth_enc as string | null) ?? null,
    maxAttempts: r.max_attempts as number,
    scheduleSeconds: json<number[]>(r.schedule_seconds) ?? [],
    timeoutMs: r.timeout_ms as number,
    rateLimitPerMinute: int(r.rate_limit_per_minute),
    ordering: r.ordering as DestinationRow["ordering"],
    filter: json<Record<string, unknown>>(r.filter),
    format: r.format as string,
    includeRaw: Boolean(r.include_raw),
    mtlsCertificate: (r.mtls_certificate as string | null) ?? null,
    signingSecretEnc: r.signing_secret_enc as string,
    previousSigningSecretEnc: (r.previous_signing_secret_enc as string | null) ?? null,
    previousSecretExpiresAt: int(r.previous_secret_expires_at),
    consecutiveFailures: int(r.consecutive_failures) ?? 0,
    failingSince: int(r.failing_since),
    autoDisableFailures: int(r.auto_disable_failures),
    autoDisableSeconds: int(r.auto_disable_seconds),
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}
