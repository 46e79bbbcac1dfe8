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
