/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import catalog from "../../docs/events.md?raw";
import { canonicalEventSchema, EVENT_TYPES, RELAY_EVENT_TYPES } from "../../src/events/canonical";
import { api } from "../support/relay";
import { rig, sendEvent, waitForDelivery } from "../delivery/helpers";

/** Just enough of JSON Schema to hold a delivered event against the published one. */
function conforms(schema: any, value: unknown, path = "$"): string[] {
  if (schema.anyOf) return schema.anyOf.some((s: any) => conforms(s, value, path).length === 0) ? [] : [`${path}: matches no alternative`];
  if (schema.enum && !schema.enum.includes(value)) return [`${path}: not in enum`];
  const t = schema.type;
  if (t === "object") {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${path}: not an object`];
    const v = value as Record<string, unknown>;
    const errs = (schema.required ?? []).filter((k: string) => !(k in v)).map((k: string) => `${path}.${k}: missing`);
    for (const [k, sub] of Object.entries(v)) {
      if (schema.properties?.[k]) errs.push(...conforms(schema.properties[k], sub, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}.${k}: not allowed`);
    }
    return errs;
  }
  if (t === "array") return Array.isArray(value) ? value.flatMap((x, i) => conforms(schema.items ?? {}, x, `${path}[${i}]`)) : [`${path}: not an array`];
  if (t === "integer") return Number.isInteger(value) ? [] : [`${path}: not an integer`];
  if (t === "null") return value === null ? [] : [`${path}: not null`];
  if (t) return typeof value === t ? [] : [`${path}: not ${t}`];
  return [];
}

describe("docs/events.md", () => {
  it("catalogs every canonical type (with the providers that produce it) and every relay type", () => {
    for (const type of EVENT_TYPES) expect(catalog, type).toContain(`| \`${type}\` |`);
    for (const type of RELAY_EVENT_TYPES) expect(catalog, type).toContain(type);
  });
});

describe("GET /v1/schemas/event.json", () => {
  it("is public JSON Schema generated from the canonical zod schema", async () => {
    const r = await api("GET", "/v1/schemas/event.json");
    expect(r.status, r.text).toBe(200);
    expect(r.json.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(r.json.required).toEqual(expect.arrayContaining(["id", "type", "livemode", "created_at", "occurred_at", "sequence", "source", "data"]));
    expect(r.json.properties.type.examples).toEqual(expect.arrayContaining([...EVENT_TYPES]));
    expect(r.json.properties.tracking.properties.status.enum).toContain("delivered");
    expect(Object.keys(r.json.properties).sort()).toEqual(Object.keys(canonicalEventSchema.shape).sort());
  });

  it("a delivered event conforms to it", async () => {
    const schema = (await api("GET", "/v1/schemas/event.json")).json;
    const rg = await rig();
    const id = await sendEvent(rg, { label: "lbl_schema_1" });
    await waitForDelivery(rg.key, rg.destination.id, id, "succeeded");
    const [req] = await rg.endpoint.waitForRequests(1);
    expect(conforms(schema, JSON.parse(req!.body))).toEqual([]);
    expect(conforms(schema, { id: 1 })).not.toEqual([]);
  });
});
