import { SELF } from "cloudflare:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import openApi31Schema from "@seriousme/openapi-schema-validator/schemas/v3.1/schema.json";
import Ajv2020 from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { BASE } from "../support/relay";

/**
 * The OpenAPI document at /v1/openapi.json is generated from the routes' own zod schemas.
 * These tests hold it to two things: it is a valid OpenAPI 3.1 document, and it describes
 * every route the Worker serves — found by walking the Hono app, so a route someone adds
 * tomorrow is covered without touching this file.
 */

/** Routes that are deliberately not part of the API description, and why. */
const NOT_DESCRIBED: Array<{ match: (method: string, path: string) => boolean; why: string }> = [
  { match: (_m, p) => p === "/v1/openapi.json", why: "the description itself" },
  { match: (_m, p) => p === "/dashboard" || p.startsWith("/dashboard/"), why: "HTML pages for people, not an API" },
  { match: (m, p) => m === "GET" && (p === "/" || p === "/healthz"), why: "service index and the load balancer's probe" },
  { match: (m, p) => m === "GET" && p === "/docs", why: "the reference page that renders this description" },
  { match: (m, p) => m === "POST" && p.startsWith("/in/"), why: "the provider-facing ingest route: each provider's own format" },
  { match: (m, p) => m === "GET" && p === "/v1/listen", why: "a WebSocket upgrade (101), which OpenAPI cannot describe; the README does" },
];

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/** Hono's `:id` (and `:id{regex}`) as OpenAPI's `{id}`. */
const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");

/** Every concrete (method, path) the Worker's app routes; middleware (`ALL`) is not a route. */
function appRoutes(): Array<{ method: string; path: string }> {
  const seen = new Set<string>();
  const out: Array<{ method: string; path: string }> = [];
  for (const r of createApp().routes) {
    if (!METHODS.includes(r.method) || r.path.includes("*")) continue;
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ method: r.method, path: r.path });
  }
  return out;
}

/**
 * The validator loads its JSON Schema with node:fs from its own package directory, which a
 * Worker does not have. The same schema file, bundled by Vite, is handed to it through the
 * method that loads it; the rest (the 3.1 meta-schema, the $ref checks) is the library's own.
 */
class BundledSchemaValidator extends Validator {
  private compiled?: ReturnType<Ajv2020["compile"]>;
  getAjvValidator(_version: string) {
    if (!this.compiled) {
      const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;
      const ajv = new Ajv2020({ strict: false });
      addFormats(ajv);
      ajv.addFormat("media-range", true);
      this.compiled = ajv.compile(openApi31Schema);
    }
    return this.compiled;
  }
}

type Operation = {
  summary?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses?: Record<string, unknown>;
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components?: Record<string, unknown> };

let doc: Doc;

beforeAll(async () => {
  const res = await SELF.fetch(`${BASE}/v1/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  doc = (await res.json()) as Doc;
});

describe("the OpenAPI description", () => {
  it("is served without credentials as OpenAPI 3.1", () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it("validates against the OpenAPI 3.1 schema, references included", async () => {
    const validator = new BundledSchemaValidator();
    expect(Validator.supportedVersions.has("3.1")).toBe(true);
    const result = await validator.validate(structuredClone(doc) as Record<string, unknown>);
    expect(result.errors, JSON.stringify(result.errors, null, 2)?.slice(0, 4000)).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("the validator catches a broken document (so a pass means something)", async () => {
    const broken = structuredClone(doc) as Record<string, any>;
    const first = Object.values(broken.paths as Record<string, Record<string, any>>)[0]!;
    const op = Object.values(first)[0];
    op.responses = "none";
    const result = await new BundledSchemaValidator().validate(broken);
    expect(result.valid).toBe(false);
    const dangling = structuredClone(doc) as Record<string, any>;
    dangling.paths["/v1/__probe"] = {
      get: { responses: { 200: { description: "x", content: { "application/json": { schema: { $ref: "#/components/schemas/NoSuchThing" } } } } } },
    };
    expect((await new BundledSchemaValidator().validate(dangling)).valid).toBe(false);
  });

  it("describes every route the Worker serves", () => {
    const routes = appRoutes();
    expect(routes.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const { method, path } of routes) {
      if (NOT_DESCRIBED.some((x) => x.match(method, path))) continue;
      if (!doc.paths[openApiPath(path)]?.[method.toLowerCase()]) missing.push(`${method} ${path}`);
    }
    expect(missing, `routes without an OpenAPI description:\n${missing.join("\n")}`).toEqual([]);
  });

  it("describes only routes that exist", () => {
    const served = new Set(appRoutes().map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`));
    const stale: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        if (!METHODS.includes(method.toUpperCase())) continue;
        if (!served.has(`${method} ${path}`)) stale.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(stale, `described but not served:\n${stale.join("\n")}`).toEqual([]);
  });

  it("gives every operation a summary, a tag, its path parameters, a success and an error response", () => {
    const problems: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.includes(method.toUpperCase())) continue;
        const name = `${method.toUpperCase()} ${path}`;
        if (!op.summary?.trim()) problems.push(`${name}: no summary`);
        if (!op.tags?.length) problems.push(`${name}: no tag`);
        const codes = Object.keys(op.responses ?? {});
        if (!codes.some((c) => /^2\d\d$/.test(c))) problems.push(`${name}: no 2xx response`);
        if (!codes.some((c) => /^[45]\d\d$/.test(c))) problems.push(`${name}: no error response`);
        for (const [, param] of path.matchAll(/\{([^}]+)\}/g)) {
          const declared = op.parameters?.find((p) => p.in === "path" && p.name === param);
          if (!declared?.required) problems.push(`${name}: path parameter {${param}} not declared as required`);
        }
      }
    }
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("declares how to authenticate", () => {
    const schemes = (doc.components as { securitySchemes?: Record<string, { type: string; scheme?: string }> } | undefined)?.securitySchemes ?? {};
    expect(Object.values(schemes).some((s) => s.type === "http" && s.scheme === "bearer")).toBe(true);
  });
});
