import { openDestination, type DestinationRow, type DestinationSecrets } from "../db/destinations";
import type { AttemptOutcome } from "../delivery/send";
import { sendTestPing, type TestTarget } from "../delivery/test-event";
import { recordTestPing } from "../delivery/test-log";
import type { Keyring } from "../lib/crypto";
import { unprocessable } from "../lib/errors";

/**
 * The one adapter from a destination (saved, or about to be saved with `verify: true`) to
 * what a `test.ping` is sent with.
 */
export function testTargetOf(
  row: Pick<DestinationRow, "id" | "url" | "timeoutMs" | "mtlsCertificate" | "transform">,
  secrets: Pick<DestinationSecrets, "headers" | "auth" | "signingSecrets">,
): TestTarget {
  return {
    id: row.id,
    url: row.url,
    timeoutMs: row.timeoutMs,
    headers: secrets.headers,
    auth: secrets.auth,
    secrets: secrets.signingSecrets,
    mtlsCertificate: row.mtlsCertificate,
    transform: row.transform,
  };
}

/**
 * The destination test of `POST /v1/destinations/:id/test` and the console: a `test.ping` now,
 * then logged as a test (its event and a finished delivery with its attempt). A log that cannot
 * be written does not change what the endpoint answered.
 */
export async function sendDestinationTest(env: Env, ring: Keyring, row: DestinationRow) {
  const sent = await sendTestPing(env, testTargetOf(row, await openDestination(ring, row)));
  await recordTestPing(env, row, sent).catch((err: unknown) =>
    console.error(JSON.stringify({ level: "error", msg: "destination test not logged", destination_id: row.id, error: (err as Error).message })),
  );
  return sent;
}

/** `verify: true`: the endpoint must acknowledge a test event 2xx, or nothing is saved (422). */
export async function verifyEndpoint(env: Env, target: TestTarget): Promise<void> {
  const { outcome } = await sendTestPing(env, target);
  if (!outcome.ok) refuseUnverified(outcome);
}

function refuseUnverified(outcome: AttemptOutcome): never {
  const answer = outcome.statusCode !== null ? `answered ${outcome.statusCode}` : `failed (${outcome.error})`;
  throw unprocessable("endpoint_unverified", `the endpoint ${answer} to the test event; it must answer 2xx to be saved`);
}
