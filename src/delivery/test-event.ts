import type { CanonicalEvent } from "../events/canonical";
import { allowInsecureDestinations } from "../lib/config";
import { newId } from "../lib/ids";
import { mtlsFetcher } from "./mtls";
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
}

/**
 * Sends a `test.ping` now, signed and authenticated like a real delivery, and stores nothing:
 * the destination test of the API and the console, and `verify: true`.
 */
export async function sendTestPing(
  env: Env,
  target: TestTarget,
): Promise<{ outcome: AttemptOutcome; payload: CanonicalEvent; deliveryId: string }> {
  const event = testPingEvent(target.id);
  const deliveryId = newId("dlv");
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
    { id: deliveryId, body: JSON.stringify(event), attempt: 1 },
  );
  return { outcome, payload: event, deliveryId };
}
