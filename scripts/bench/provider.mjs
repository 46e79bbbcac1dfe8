// The relay's users as the benchmark plays them: an integrator who sets up a workspace, an
// AtoShip source and destinations over the management API, and AtoShip posting signed callbacks.
import crypto from "node:crypto";

export async function api(base, method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * A workspace with one AtoShip source and one destination per given endpoint. The retry
 * schedule is short so the integrity run's failed attempts come back within seconds.
 */
export async function setUpWorkspace(base, adminToken, { name, endpoints, retry }) {
  const ws = await api(base, "POST", "/v1/workspaces", { token: adminToken, body: { name } });
  const source = await api(base, "POST", "/v1/sources", { token: ws.api_key, body: { name: `${name} AtoShip`, provider: "atoship" } });
  const destinations = [];
  for (const url of endpoints) {
    destinations.push(
      await api(base, "POST", "/v1/destinations", { token: ws.api_key, body: { url, ...(retry ? { retry } : {}) } }),
    );
  }
  return { workspaceId: ws.id, key: ws.api_key, source, destinations, ingestPath: new URL(source.ingest_url).pathname };
}

const EVENTS = ["label.created", "shipment.in_transit", "shipment.delivered", "order.fulfilled"];

/**
 * One AtoShip callback: `{id, event, timestamp, data}` signed `sha256=<hex HMAC of the raw
 * body>`. `seq` makes the provider event id (the dedupe key); `order` spreads events over
 * order Durable Objects; `bench_sent_at` lets the receiver time the whole trip.
 */
export function atoshipCallback(secret, { run, seq, order, sentAt = Date.now() }) {
  const body = JSON.stringify({
    id: `evt_${run}_${seq}`,
    event: EVENTS[seq % EVENTS.length],
    timestamp: new Date(sentAt).toISOString(),
    data: {
      order_id: `ord_${run}_${order}`,
      tracking_number: `94001118992${String(order).padStart(8, "0")}`,
      carrier: "USPS",
      service: "Priority Mail",
      label_id: `lbl_${run}_${seq}`,
      bench_sent_at: sentAt,
    },
  });
  const signature = `sha256=${crypto.createHmac("sha256", secret).update(body).digest("hex")}`;
  return { body, headers: { "content-type": "application/json", "x-atoship-signature": signature } };
}
