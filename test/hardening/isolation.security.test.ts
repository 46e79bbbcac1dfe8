import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../support/dashboard";
import { mockEndpoint, type MockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, eventually, postAtoship, waitForDeliveryStatus } from "../support/relay";

/**
 * Workspace isolation, proved over every `/v1` route the OpenAPI description lists — read
 * at test time, so routes other people add are covered without touching this file: another
 * workspace's key gets 404 (or 401/403) for every object of this one, by every method, and
 * no list or filter shows this workspace's objects to it.
 */
type Operation = { method: string; path: string; op: OpenApiOperation };
interface OpenApiOperation {
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  security?: Record<string, unknown>[];
}
type Schema = Record<string, any>;

let doc: { paths: Record<string, Record<string, OpenApiOperation>>; components?: { schemas?: Record<string, Schema> } };
const A = { key: "", ids: {} as Record<string, string>, values: {} as Record<string, string> };
const B = { key: "", endpoint: undefined as MockEndpoint | undefined, destinationId: "" };

function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      // `security: []`: public by design (GET /v1/schemas/event.json describes the relay, nothing of a workspace).
      if (Array.isArray(op.security) && op.security.length === 0) continue;
      if (["get", "post", "put", "patch", "delete"].includes(method)) out.push({ method: method.toUpperCase(), path, op });
    }
  }
  return out;
}

/** The smallest body the schema accepts (required properties only), so validation never answers before the ownership check. */
function sample(schema: Schema | undefined, depth = 0): unknown {
  if (!schema || depth > 8) return {};
  if (schema.$ref) return sample(doc.components?.schemas?.[String(schema.$ref).split("/").pop()!], depth + 1);
  if (schema.default !== undefined) return schema.default;
  if (schema.example !== undefined) return schema.example;
  if (schema.enum) return schema.enum[0];
  for (const key of ["oneOf", "anyOf", "allOf"]) if (Array.isArray(schema[key])) return sample(schema[key][0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) out[name] = sample(schema.properties?.[name], depth + 1);
      return out;
    }
    case "array":
      return Array.from({ length: schema.minItems ?? 0 }, () => sample(schema.items, depth + 1));
    case "string":
      return schema.format === "date-time" ? new Date().toISOString() : "x".repeat(Math.max(1, schema.minLength ?? 1));
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return false;
    default:
      return {};
  }
}

/** Which of A's objects a path's `{id}` means: by the collection it sits under. */
function idFor(path: string): string {
  const collection = path.split("/")[2]!;
  const id = A.ids[collection];
  if (!id) throw new Error(`no object of workspace A for ${path}: teach test/hardening/isolation.security.test.ts to make a ${collection} object`);
  return id;
}

const fill = (path: string) => path.replace(/\{[^}]+\}/g, () => idFor(path));
const bodyOf = (op: OpenApiOperation) => {
  const schema = op.requestBody?.content?.["application/json"]?.schema;
  return schema ? sample(schema) : undefined;
};

beforeAll(async () => {
  // Workspace A: one of everything.
  const a = await atoshipWorkspace("isolation-a");
  A.key = a.key;
  const endpoint = await mockEndpoint();
  const dest = await createDestination(a.key, { url: endpoint.url, headers: { "x-a": "a" } });
  const res = await postAtoship(a.source, atoshipEvent({ data: { order_id: "ord_iso_a", tracking_number: "TRK_ISO_A" } }));
  expect(res.status).toBe(200);
  const delivery = await waitForDeliveryStatus(a.key, dest.id, "succeeded");
  A.ids = { sources: a.source.id, destinations: dest.id, events: res.json.event_ids[0], deliveries: delivery.id };
  A.values = { source: a.source.id, destination: dest.id, event: res.json.event_ids[0], order: "ord_iso_a", tracking_number: "TRK_ISO_A", type: "label.created" };
  // An order is named by its reference (GET /v1/orders/{reference}).
  A.ids.orders = "ord_iso_a";

  doc = (await api("GET", "/v1/openapi.json", { token: a.key })).json;
  // Objects that have no list of their own are made through the route that makes them.
  const replay = operations().find((o) => o.method === "POST" && /^\/v1\/destinations\/\{[^}]+\}\/replay$/.test(o.path));
  if (replay) {
    const r = await api("POST", fill(replay.path), { token: a.key, body: bodyOf(replay.op) ?? {} });
    expect(r.status, r.text).toBeLessThan(300);
    A.ids.replays = r.json.id;
    // Let it finish, so A's objects hold still while B pokes at them.
    await eventually(async () => (await api("GET", `/v1/replays/${r.json.id}`, { token: a.key })).json?.done === true, 15_000);
    await waitForDeliveryStatus(a.key, dest.id, "succeeded");
  }
  // A pending fetch (a pointer callback whose fetch failed for good): made where the jobs consumer makes it.
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO pending_fetches (id, workspace_id, source_id, ingest_log_id, resource_url, resource_type, received_at, raw, attempts, last_error, next_try_at, created_at, updated_at)
     VALUES (?1, (SELECT workspace_id FROM sources WHERE id = ?2), ?2, ?3, 'https://ssapi.shipstation.com/shipments', 'SHIP_NOTIFY', ?4, '{}', 20, 'HTTP 503', ?5, ?4, ?4)`,
  )
    .bind(`pft_isolation_${now}`, a.source.id, `ilg_isolation_${now}`, now, now + 86_400_000)
    .run();
  // Anything else the description lists: A's first object from its list route.
  for (const { path } of operations()) {
    const collection = path.split("/")[2]!;
    if (!path.includes("{") || A.ids[collection]) continue;
    const list = await api("GET", `/v1/${collection}`, { token: a.key });
    const first = list.json?.data?.[0]?.id;
    if (first) A.ids[collection] = first;
  }

  // Workspace B: its own objects, so its lists are not trivially empty.
  const b = await atoshipWorkspace("isolation-b");
  B.key = b.key;
  B.endpoint = await mockEndpoint();
  B.destinationId = (await createDestination(b.key, { url: B.endpoint.url })).id;
  expect((await postAtoship(b.source, atoshipEvent({ data: { order_id: "ord_iso_b" } }))).status).toBe(200);
  await waitForDeliveryStatus(b.key, B.destinationId, "succeeded");
});

describe("workspace isolation over every /v1 route", () => {
  it("the description lists the routes this test relies on", () => {
    const paths = operations().map((o) => `${o.method} ${o.path}`);
    expect(paths).toEqual(expect.arrayContaining(["GET /v1/sources/{id}", "PATCH /v1/destinations/{id}", "GET /v1/events/{id}", "POST /v1/deliveries/{id}/retry"]));
  });

  it("another workspace's key gets 404 (or 401/403) for every object route, by every method, and changes nothing", async () => {
    const objectRoutes = operations().filter((o) => o.path.includes("{"));
    expect(objectRoutes.length).toBeGreaterThan(10);
    const before: Record<string, string> = {};
    for (const [collection, id] of Object.entries(A.ids)) {
      const r = await api("GET", `/v1/${collection}/${id}`, { token: A.key });
      if (r.status === 200) before[`${collection}/${id}`] = r.text;
    }
    // Deletes last, so a broken one could not hide the others.
    objectRoutes.sort((x, y) => Number(x.method === "DELETE") - Number(y.method === "DELETE"));
    const seen: string[] = [];
    for (const { method, path, op } of objectRoutes) {
      const target = fill(path);
      const body = bodyOf(op);
      const r = await api(method, target, { token: B.key, ...(body !== undefined ? { body } : method === "GET" || method === "DELETE" ? {} : { body: {} }) });
      seen.push(`${method} ${path} → ${r.status}`);
      expect([401, 403, 404], `${method} ${target} with B's key answered ${r.status}: ${r.text}`).toContain(r.status);
      expect(r.json?.error?.code, r.text).toBeTypeOf("string");
      expect(r.text).not.toContain("ord_iso_a");
    }
    // A's objects are exactly as they were.
    for (const [where, text] of Object.entries(before)) {
      const r = await api("GET", `/v1/${where}`, { token: A.key });
      expect(r.status, where).toBe(200);
      expect(r.text, where).toBe(text);
    }
    expect(seen.length).toBe(objectRoutes.length);
  });

  it("no list, and no filter naming A's objects, shows A's objects to B", async () => {
    // The operator's routes (admin token: GET /v1/status) span every workspace by design; a workspace key gets 401 there.
    const adminOnly = (o: Operation) => o.op.security?.some((s) => "adminToken" in s) ?? false;
    // GET /v1/orders?tracking_number= is a lookup, not a list: another workspace's tracking number is not found.
    const lookup = await api("GET", "/v1/orders?tracking_number=TRK_ISO_A", { token: B.key });
    expect(lookup.status, lookup.text).toBe(404);
    expect(lookup.text).not.toContain("ord_iso_a");
    const lists = operations().filter(
      (o) => o.method === "GET" && !o.path.includes("{") && o.path !== "/v1/openapi.json" && o.path !== "/v1/orders" && !adminOnly(o),
    );
    expect(lists.length).toBeGreaterThanOrEqual(4);
    const aIds = Object.values(A.ids);
    for (const { path, op } of lists) {
      const queries = [""];
      for (const p of op.parameters ?? []) if (p.in === "query" && A.values[p.name]) queries.push(`${p.name}=${encodeURIComponent(A.values[p.name]!)}`);
      for (const q of queries) {
        const r = await api("GET", `${path}?limit=500${q ? `&${q}` : ""}`, { token: B.key });
        expect(r.status, `${path}?${q}: ${r.text}`).toBe(200);
        expect(Array.isArray(r.json.data)).toBe(true);
        for (const id of aIds) expect(r.text.includes(id), `${path}?${q} shows A's ${id}`).toBe(false);
        expect(r.text).not.toContain("ord_iso_a");
      }
    }
    // B's own objects are there (the lists work at all).
    const mine = await api("GET", "/v1/events", { token: B.key });
    expect(mine.json.data.length).toBe(1);
  });

  it("B cannot point its destination at A's source, and A's events never reach B's destinations", async () => {
    const r = await api("POST", "/v1/destinations", { token: B.key, body: { url: B.endpoint!.url, sources: [A.ids.sources] } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/^sources\.0: /);
    const bDeliveries = await api("GET", "/v1/deliveries?limit=500", { token: B.key });
    expect(bDeliveries.json.data).toHaveLength(1);
    const requests = await B.endpoint!.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]!.body).not.toContain("ord_iso_a");
  });

  it("every /v1 route but the description refuses a missing or unknown key with 401", async () => {
    for (const { method, path } of operations()) {
      const target = path.includes("{") ? fill(path) : path;
      for (const token of [undefined, "sk_not_a_key"]) {
        const r = await api(method, target, { ...(token ? { token } : {}), ...(method === "GET" || method === "DELETE" ? {} : { body: {} }) });
        expect(r.status, `${method} ${target} (${token ?? "no key"}): ${r.text}`).toBe(401);
        expect(r.json.error.code).toBeTypeOf("string");
      }
    }
    // A workspace key is not the admin token.
    expect((await api("POST", "/v1/workspaces", { token: A.key, body: { name: "x" } })).status).toBe(401);
  });

  it("the dashboard shows B none of A's events", async () => {
    const cookie = await signIn(B.key);
    const page = await api("GET", `/dashboard/events/${A.ids.events}`, { headers: { cookie } });
    expect(page.status).toBe(404);
    const home = await api("GET", "/dashboard", { headers: { cookie } });
    expect(home.status).toBe(200);
    expect(home.text).toContain("ord_iso_b"); // B's own event is there: the page is the real one
    expect(home.text).not.toContain(A.ids.events!);
    expect(home.text).not.toContain("ord_iso_a");
  });
});
