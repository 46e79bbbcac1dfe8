import http from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

/**
 * The fake outside world: one real HTTP server on loopback that plays customer endpoints
 * and provider APIs. Tests script it over its control API (see test/support/mock.ts):
 *   POST  /__control/endpoints            {responses?, default?, routes?} → {id, url}
 *   PATCH /__control/endpoints/:id        replace the script
 *   GET   /__control/endpoints/:id/requests  what it received, oldest first
 * Scripted traffic goes to /e/:id/… ; a route key is "METHOD /path" (no query).
 */
interface ScriptedResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delay_ms?: number;
  /** Drop the connection without answering. */
  close?: boolean;
}
interface Script {
  responses?: ScriptedResponse[];
  default?: ScriptedResponse;
  routes?: Record<string, ScriptedResponse | ScriptedResponse[]>;
}
interface Recorded {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  at: number;
}

export default async function setup(project: TestProject) {
  const scripts = new Map<string, Script>();
  const received = new Map<string, Recorded[]>();
  let next = 1;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://localhost");
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };

      if (url.pathname === "/__control/endpoints" && req.method === "POST") {
        const id = `ep${next++}`;
        scripts.set(id, body ? (JSON.parse(body) as Script) : {});
        received.set(id, []);
        const { port } = server.address() as AddressInfo;
        return json(201, { id, url: `http://127.0.0.1:${port}/e/${id}` });
      }
      const control = url.pathname.match(/^\/__control\/endpoints\/([^/]+)(\/requests)?$/);
      if (control) {
        const [, id, requests] = control;
        if (!id || !scripts.has(id)) return json(404, { error: "no such endpoint" });
        if (requests) return json(200, received.get(id));
        if (req.method === "PATCH") {
          scripts.set(id, JSON.parse(body) as Script);
          return json(200, { ok: true });
        }
        return json(405, { error: "method" });
      }

      const scripted = url.pathname.match(/^\/e\/([^/]+)(\/.*)?$/);
      if (!scripted || !scripts.has(scripted[1]!)) return json(404, { error: "unknown endpoint" });
      const id = scripted[1]!;
      const rest = scripted[2] ?? "/";
      received.get(id)!.push({
        method: req.method ?? "GET",
        path: rest,
        query: url.search,
        headers: req.headers,
        body,
        at: Date.now(),
      });
      const script = scripts.get(id)!;
      const routeKey = `${req.method} ${rest}`;
      let answer: ScriptedResponse | undefined;
      const route = script.routes?.[routeKey];
      if (Array.isArray(route)) answer = route.length > 1 ? route.shift() : route[0];
      else if (route) answer = route;
      else answer = script.responses?.shift() ?? script.default;
      answer ??= { status: 200, body: { ok: true } };

      const respond = () => {
        if (answer!.close) {
          req.socket.destroy();
          return;
        }
        const payload = answer!.body === undefined ? "" : typeof answer!.body === "string" ? answer!.body : JSON.stringify(answer!.body);
        res.writeHead(answer!.status ?? 200, { "content-type": "application/json", ...answer!.headers });
        res.end(payload);
      };
      if (answer.delay_ms) setTimeout(respond, answer.delay_ms);
      else respond();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("mockBaseUrl", `http://127.0.0.1:${port}`);
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
