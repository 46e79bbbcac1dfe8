import type { CanonicalEvent } from "../events/canonical";
import { allowInsecureDestinations } from "../lib/config";
import { deliveryIdOf } from "../events/ids";
import { newId } from "../lib/ids";
import { bodyFor, transformFailure } from "./body";
import { mtlsFetcher } from "./mtls";
import { TransformError } from "./transform";
import { sendWebhook, type AttemptOutcome, type DestinationAuth } from "./send";

/** The `test.ping` a destination test (or `verify: true`) sends: never live. */
export function testPingEvent(destinationId: string, now = Date.now()): CanonicalEvent {
  const at = new Date(now).toISOString();
  return {
    id: newId("evt", now),
    type: "test.ping",
    livemode: false,
    created_at: at,
    occurred_at: at,
    sequence: null,
    source: { id: "shiprelay", provider: "shiprelay", event: "destination.test" },
    data: { destination_id: destinationId, message: "Test event from shiprelay. Answer 2xx to acknowledge." },
  };
}

/** A destination as it is (or would be, for `verify: true` before saving) configured. */
export interface TestTarget {
  id: string;
  url: string;
  timeoutMs: number;
  headers: Record<string, string>;
  auth: DestinationAuth | null;
  secrets: string[];
  mtlsCertificate: string | null;
  /** The destination's transform: a test ping is sent as its result, like any event. */
  transform: string | null;
}

/**
 * Sends a `test.ping` now, signed and authenticated like a real delivery, and stores nothing
 * (a saved destination's test is then logged: src/delivery/test-log.ts): the destination test
 * of the API and the console, and `verify: true`.
 */
export async function sendTestPing(
  env: Env,
  target: TestTarget,
): Promise<{ outcome: AttemptOutcome; payload: unknown; deliveryId: string; event: CanonicalEvent; at: number }> {
  const at = Date.now();
  const event = testPingEvent(target.id, at);
  // Derived like any delivery's (its id begins with the event's), so the logged test is found as its event's.
  const deliveryId = await deliveryIdOf(event.id, target.id);
  let body: string;
  try {
    body = await bodyFor({ format: "v1", includeRaw: false, transform: target.transform }, { type: event.type, body: JSON.stringify(event), raw: "" });
  } catch (err) {
    if (!(err instanceof TransformError)) throw err;
    return { outcome: transformFailure(target.url, err), payload: event, deliveryId, event, at };
  }
  const outcome = await sendWebhook(
    {
      url: target.url,
      headers: target.headers,
      auth: target.auth,
      timeoutMs: target.timeoutMs,
      secrets: target.secrets,
      allowInsecure: allowInsecureDestinations(env),
      fetcher: target.mtlsCertificate ? mtlsFetcher(env, target.mtlsCertificate) : null,
    },
    { id: deliveryId, body, attempt: 1 },
  );
  return { outcome, payload: JSON.parse(body) as unknown, deliveryId, event, at };
}
