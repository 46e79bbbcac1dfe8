import { openDestination, type DestinationRow } from "../db/destinations";
import { allowInsecureDestinations } from "../lib/config";
import { keyringFrom } from "../lib/crypto";
import { newId } from "../lib/ids";
import { deliveryMessageSchema, enqueueDeliveries, MAX_QUEUE_DELAY_SECONDS, type DeliveryMessage } from "./messages";
import { GONE_STATUSES, retryDelaySeconds } from "./retry-policy";
import { sendWebhook, type AttemptOutcome } from "./send";
import { recordDeadLetter } from "./dead-letters";

/** A consumer holds a delivery this long beyond its timeout; a crashed holder's lease lapses. */
const LEASE_SLACK_MS = 30_000;

interface DeliveryJoin {
  id: string;
  workspace_id: string;
  event_id: string;
  destination_id: string;
  status: string;
  attempt_count: number;
  attempt_limit: number;
  next_attempt_at: number;
  lease_until: number | null;
  order_key: string | null;
  sequence: number | null;
  body: string;
  raw: string;
  dst_id: string | null;
}

/**
 * The delivery queue's consumer. Each message names one delivery and the attempt it is for;
 * every message is acked or retried explicitly. Unexpected failures (D1 unavailable …) retry
 * the message with backoff; after the queue's max_retries it reaches the dead-letter queue,
 * where it is recorded, and the housekeeping sweep re-enqueues the delivery.
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = deliveryMessageSchema.safeParse(msg.body);
      if (!parsed.success) {
        await recordDeadLetter(env, batch.queue, msg.body, "malformed delivery message");
        msg.ack();
        return;
      }
      try {
        await processDelivery(env, parsed.data);
        msg.ack();
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "delivery processing failed", delivery_id: parsed.data.delivery_id, error: (err as Error).message }));
        msg.retry({ delaySeconds: Math.min(5 * 2 ** Math.min(msg.attempts, 8), 3600) });
      }
    }),
  );
}

export async function processDelivery(env: Env, msg: DeliveryMessage, now = Date.now()): Promise<"sent" | "skipped" | "held" | "hop"> {
  const row = await env.DB.prepare(
    `SELECT d.id, d.workspace_id, d.event_id, d.destination_id, d.status, d.attempt_count, d.attempt_limit,
            d.next_attempt_at, d.lease_until, d.order_key, d.sequence, e.body, e.raw, dst.id AS dst_id
       FROM deliveries d
       JOIN events e ON e.id = d.event_id
       LEFT JOIN destinations dst ON dst.id = d.destination_id
      WHERE d.id = ?1`,
  )
    .bind(msg.delivery_id)
    .first<DeliveryJoin>();
  // Gone, finished, or a stale/duplicate message for an attempt already made: nothing to do.
  if (!row || (row.status !== "pending" && row.status !== "retrying") || row.attempt_count !== msg.attempt - 1) return "skipped";

  if (row.next_attempt_at > now + 1000) {
    // Arrived early: a long wait split into queue-sized hops.
    const remaining = Math.ceil((row.next_attempt_at - now) / 1000);
    await enqueueDeliveries(env.DELIVERIES, [msg], Math.min(remaining, MAX_QUEUE_DELAY_SECONDS));
    return "hop";
  }
  if (row.lease_until !== null && row.lease_until > now) return "skipped"; // another consumer has it

  if (!row.dst_id) {
    await env.DB.prepare(
      `UPDATE deliveries SET status = 'failed', last_error = 'destination deleted', completed_at = ?2, updated_at = ?2 WHERE id = ?1`,
    )
      .bind(row.id, now)
      .run();
    return "skipped";
  }
  const dest = await env.DB.prepare("SELECT * FROM destinations WHERE id = ?1").bind(row.destination_id).first<Record<string, unknown>>();
  if (!dest) return "skipped";
  const destination = destinationFromSql(dest);

  if (destination.status !== "active") {
    // Held until the destination is active again; the drain sends it then, in order.
    await env.DB.prepare("UPDATE deliveries SET enqueued_at = NULL, updated_at = ?2 WHERE id = ?1 AND attempt_count = ?3")
      .bind(row.id, now, row.attempt_count)
      .run();
    return "held";
  }

  const claimed = await env.DB.prepare(
    `UPDATE deliveries SET lease_until = ?2
      WHERE id = ?1 AND attempt_count = ?3 AND status IN ('pending', 'retrying') AND (lease_until IS NULL OR lease_until <= ?4)
      RETURNING id`,
  )
    .bind(row.id, now + destination.timeoutMs + LEASE_SLACK_MS, row.attempt_count, now)
    .first();
  if (!claimed) return "skipped";

  const ring = await keyringFrom(env.ENCRYPTION_KEY, (env as { ENCRYPTION_KEY_PREVIOUS?: string }).ENCRYPTION_KEY_PREVIOUS);
  if (!ring) throw new Error("ENCRYPTION_KEY is not set; cannot open the signing secret");
  const secrets = await openDestination(ring, destination, now);
  const body = destination.includeRaw ? withRaw(row.body, row.raw) : row.body;
  const attempt = msg.attempt;
  const outcome: AttemptOutcome = await sendWebhook(
    {
      url: destination.url,
      headers: secrets.headers,
      auth: secrets.auth,
      timeoutMs: destination.timeoutMs,
      secrets: secrets.signingSecrets,
      allowInsecure: allowInsecureDestinations(env),
    },
    { id: row.id, body, attempt },
  );

  await recordAttempt(env, row, destination, attempt, outcome, Date.now());
  return "sent";
}

function withRaw(body: string, raw: string): string {
  let parsedRaw: unknown = raw;
  try {
    parsedRaw = JSON.parse(raw);
  } catch {
    /* not JSON (form-encoded provider): keep the string */
  }
  return JSON.stringify({ ...(JSON.parse(body) as object), raw: parsedRaw });
}

/** Writes the attempt and the delivery's new state in one batch, then queues the next attempt. */
async function recordAttempt(
  env: Env,
  row: DeliveryJoin,
  destination: DestinationRow,
  attempt: number,
  outcome: AttemptOutcome,
  now: number,
) {
  const exhausted = attempt >= row.attempt_limit;
  const status = outcome.ok ? "succeeded" : exhausted ? "failed" : "retrying";
  const delay = status === "retrying" ? retryDelaySeconds(destination.scheduleSeconds, attempt, outcome.retryAfterSeconds) : 0;
  const nextAt = now + delay * 1000;
  const gone = outcome.statusCode !== null && GONE_STATUSES.has(outcome.statusCode);

  const statements: D1PreparedStatement[] = [
    env.DB.prepare(
      `INSERT INTO attempts (id, delivery_id, workspace_id, destination_id, attempt, at, url, status_code, duration_ms, error, response_body, succeeded)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)`,
    ).bind(
      newId("att", now),
      row.id,
      row.workspace_id,
      row.destination_id,
      attempt,
      now - outcome.durationMs,
      outcome.url,
      outcome.statusCode,
      outcome.durationMs,
      outcome.error,
      outcome.responseBody,
      outcome.ok ? 1 : 0,
    ),
    env.DB.prepare(
      `UPDATE deliveries SET status = ?2, attempt_count = ?3, lease_until = NULL, next_attempt_at = ?4,
              last_status_code = ?5, last_error = ?6, updated_at = ?7, completed_at = ?8,
              enqueued_at = CASE WHEN ?2 = 'retrying' THEN ?7 ELSE enqueued_at END
        WHERE id = ?1`,
    ).bind(row.id, status, attempt, nextAt, outcome.statusCode, outcome.error, now, status === "retrying" ? null : now),
  ];
  if (outcome.ok && (destination.consecutiveFailures > 0 || destination.failingSince !== null)) {
    statements.push(
      env.DB.prepare("UPDATE destinations SET consecutive_failures = 0, failing_since = NULL WHERE id = ?1").bind(destination.id),
    );
  } else if (!outcome.ok) {
    statements.push(
      env.DB.prepare(
        `UPDATE destinations SET consecutive_failures = consecutive_failures + ?2, failing_since = coalesce(failing_since, ?3)
          WHERE id = ?1`,
      ).bind(destination.id, status === "failed" ? 1 : 0, now),
    );
  }
  if (gone) {
    statements.push(
      env.DB.prepare(
        `UPDATE destinations SET status = 'disabled', disabled_reason = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'active'`,
      ).bind(destination.id, `endpoint answered ${outcome.statusCode} Gone`, now),
    );
  }
  await env.DB.batch(statements);
  if (status === "retrying") {
    await enqueueDeliveries(env.DELIVERIES, [{ delivery_id: row.id, attempt: attempt + 1 }], delay);
  }
}

/** Maps a raw `SELECT * FROM destinations` row to the drizzle row shape. */
export function destinationFromSql(r: Record<string, unknown>): DestinationRow {
  const json = <T>(v: unknown): T | null => (typeof v === "string" ? (JSON.parse(v) as T) : null);
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
    headersEnc: (r.headers_enc as string | null) ?? null,
    authEnc: (r.auth_enc as string | null) ?? null,
    maxAttempts: r.max_attempts as number,
    scheduleSeconds: json<number[]>(r.schedule_seconds) ?? [],
    timeoutMs: r.timeout_ms as number,
    rateLimitPerMinute: (r.rate_limit_per_minute as number | null) ?? null,
    ordering: r.ordering as DestinationRow["ordering"],
    filter: json<Record<string, unknown>>(r.filter),
    format: r.format as string,
    includeRaw: Boolean(r.include_raw),
    mtlsCertificate: (r.mtls_certificate as string | null) ?? null,
    signingSecretEnc: r.signing_secret_enc as string,
    previousSigningSecretEnc: (r.previous_signing_secret_enc as string | null) ?? null,
    previousSecretExpiresAt: (r.previous_secret_expires_at as number | null) ?? null,
    consecutiveFailures: (r.consecutive_failures as number) ?? 0,
    failingSince: (r.failing_since as number | null) ?? null,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}
