import type { CanonicalEvent } from "../events/canonical";
import { newId } from "../lib/ids";

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
