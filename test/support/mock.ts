import { inject } from "vitest";

/** A scripted fake of a customer endpoint or provider API, served by the global-setup server. */
export interface ScriptedResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delay_ms?: number;
  close?: boolean;
}
export interface EndpointScript {
  responses?: ScriptedResponse[];
  default?: ScriptedResponse;
  routes?: Record<string, ScriptedResponse | ScriptedResponse[]>;
}
export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | undefined>;
  body: string;
  at: number;
}

export interface MockEndpoint {
  id: string;
  /** The endpoint's base URL; any path below it is served by the same script. */
  url: string;
  requests(): Promise<RecordedRequest[]>;
  script(next: EndpointScript): Promise<void>;
  /** Polls until `count` requests arrived (or the time runs out) and returns them. */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
}

export async function mockEndpoint(script: EndpointScript = {}): Promise<MockEndpoint> {
  const base = inject("mockBaseUrl");
  const res = await fetch(`${base}/__control/endpoints`, { method: "POST", body: JSON.stringify(script) });
  const { id, url } = (await res.json()) as { id: string; url: string };
  const requests = async () => (await (await fetch(`${base}/__control/endpoints/${id}/requests`)).json()) as RecordedRequest[];
  return {
    id,
    url,
    requests,
    async script(next) {
      await fetch(`${base}/__control/endpoints/${id}`, { method: "PATCH", body: JSON.stringify(next) });
    },
    async waitForRequests(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let got = await requests();
      while (got.length < count && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        got = await requests();
      }
      return got;
    },
  };
}
