import { env } from "cloudflare:test";
import { expect } from "vitest";
import { mockEndpoint, type EndpointScript, type MockEndpoint, type RecordedRequest } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, eventually, postAtoship } from "../support/relay";

/**
 * What the delivery tests share: a workspace with an AtoShip source, a loopback endpoint
 * (the customer) and a destination pointing at it — all through the public API, with the
 * real D1, Durable Objects and queues behind it.
 */
export interface Rig {
  key: string;
  workspaceId: string;
  source: { id: string; ingest_url: string; secret?: string };
  endpoint: MockEndpoint;
  destination: { id: string; signing_secret: string; [k: string]: unknown };
}

export async function rig(destination: Record<string, unknown> = {}, script: EndpointScript = {}): Promise<Rig> {
  const { ws, key, source } = await atoshipWorkspace();
  const endpoint = await mockEndpoint(script);
  const dest = await createDestination(key, { url: endpoint.url, ...destination });
  return { key, workspaceId: ws.id, source, endpoint, destination: dest };
}

let counter = 0;

/** Posts one distinct AtoShip event (its own label id unless given); returns its event id. */
export async function sendEvent(
  r: Pick<Rig, "source">,
  opts: { event?: string; order?: string; carrier?: string; label?: string } = {},
): Promise<string> {
  counter += 1;
  const res = await postAtoship(
    r.source,
    atoshipEvent({
      event: opts.event ?? "label.created",
      data: {
        label_id: opts.label ?? `lbl_${Date.now()}_${counter}`,
        order_id: opts.order ?? `ord_${Date.now()}_${counter}`,
        ...(opts.carrier ? { carrier: opts.carrier } : {}),
      },
    }),
  );
  expect(res.status, res.text).toBe(200);
  expect(res.json.duplicate).toBe(false);
  return res.json.event_ids[0] as string;
}

export interface DeliveryView {
  id: string;
  event_id: string;
  destination_id: string;
  event_type: string;
  status: string;
  attempt_count: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  completed_at: string | null;
  attempts?: { attempt: number; at: string; url: string; status_code: number | null; error: string | null; response_body: string | null; duration_ms: number }[];
}

export async function deliveriesOf(key: string, destinationId: string, query = ""): Promise<DeliveryView[]> {
  const r = await api("GET", `/v1/deliveries?destination=${destinationId}&limit=500${query}`, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json.data as DeliveryView[];
}

export async function delivery(key: string, id: string): Promise<DeliveryView> {
  const r = await api("GET", `/v1/deliveries/${id}`, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json as DeliveryView;
}

/** Waits until the destination's only delivery of `eventId` is in `status`, and returns it with its attempts. */
export async function waitForDelivery(key: string, destinationId: string, eventId: string, status: string, timeoutMs = 15_000) {
  const found = await eventually(async () => {
    const list = await deliveriesOf(key, destinationId, `&event=${eventId}`);
    return list.find((d) => d.status === status);
  }, timeoutMs);
  return delivery(key, found.id);
}

export async function getDestination(key: string, id: string) {
  const r = await api("GET", `/v1/destinations/${id}`, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json as Record<string, any>;
}

/** The parsed body of a recorded request. */
export const bodyOf = (req: RecordedRequest) => JSON.parse(req.body) as Record<string, any>;

export { settle } from "../support/relay";

/** Direct D1 access, for the few facts the API does not expose (and to age a row, standing in for time). */
export const db = () => env.DB;
