import { describe, expect, it } from "vitest";
import { createWorkspace } from "../support/relay";
import { callApp, isErrorEnvelope } from "./helpers";

describe("MAX_DESTINATIONS_PER_WORKSPACE", () => {
  it("refuses a destination beyond the limit with 422 limit_exceeded, and frees a place on delete", async () => {
    const { key } = await createWorkspace("dest-limit");
    const limited = { MAX_DESTINATIONS_PER_WORKSPACE: "2" };
    const create = (n: number) => callApp("POST", "/v1/destinations", { token: key, body: { url: `http://localhost:9/${n}` }, env: limited });
    const first = await create(1);
    expect(first.status, first.text).toBe(201);
    expect((await create(2)).status).toBe(201);
    const third = await create(3);
    expect(third.status, third.text).toBe(422);
    expect(third.json.error.code).toBe("limit_exceeded");
    expect(isErrorEnvelope(third.json)).toBe(true);
    expect(third.json.error.message).toContain("2");
    expect((await callApp("DELETE", `/v1/destinations/${first.json.id}`, { token: key, env: limited })).status).toBe(204);
    expect((await create(4)).status).toBe(201);
  });

  it("defaults to 100, and a value that is not a whole number is a configuration error", async () => {
    const { configOf } = await import("../../src/lib/config");
    expect(configOf({} as Env).MAX_DESTINATIONS_PER_WORKSPACE).toBe(100);
    expect(() => configOf({ MAX_DESTINATIONS_PER_WORKSPACE: "lots" } as unknown as Env)).toThrow(/MAX_DESTINATIONS_PER_WORKSPACE/);
  });
});

describe("MAX_DESTINATIONS_PER_WORKSPACE under concurrent creates", () => {
  it("creates racing at the limit never leave the workspace over it", async () => {
    const { key } = await createWorkspace("dest-limit-race");
    const limited = { MAX_DESTINATIONS_PER_WORKSPACE: "3" };
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, n) => callApp("POST", "/v1/destinations", { token: key, body: { url: `http://localhost:9/race-${n}` }, env: limited })),
    );
    for (const a of answers) expect([201, 422], a.text).toContain(a.status);
    const list = await callApp("GET", "/v1/destinations?limit=100", { token: key });
    expect(list.json.data.length).toBeLessThanOrEqual(3);
    expect(list.json.data.length).toBe(answers.filter((a) => a.status === 201).length);
  });
});
