import { describe, expect, it } from "vitest";
import wranglerToml from "../../wrangler.toml?raw";
import { createSource, createWorkspace, ingestPath } from "../support/relay";
import { callApp, captureConsole } from "./helpers";

/** The lines of one TOML table (`[name]` up to the next header). */
function tomlTable(text: string, name: string): string[] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === `[${name}]`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).map((l) => l.replace(/#.*/, "").trim()).filter(Boolean);
}

describe("logs carry no token", () => {
  it("wrangler.toml keeps our own log lines but turns invocation logs (which record request URLs) off", () => {
    const logs = tomlTable(wranglerToml, "observability.logs");
    expect(logs).toContain("enabled = true");
    expect(logs).toContain("invocation_logs = false");
    // No head-level `enabled = true` that would turn on every observability default.
    expect(tomlTable(wranglerToml, "observability")).not.toContain("enabled = true");
  });

  it("nothing the Worker writes to the console during url_token ingest (accepted, refused, failed) holds the token", async () => {
    const { key } = await createWorkspace("log-token");
    const src = await createSource(key, { provider: "generic", verification: { type: "url_token" } });
    const token = new URL(src.ingest_url).searchParams.get("token")!;
    const headers = { "content-type": "application/json" };
    const body = (ref: string) => JSON.stringify({ type: "order.shipped", order: { reference: ref } });
    const capture = captureConsole();
    try {
      expect((await callApp("POST", ingestPath(src), { raw: body("L1"), headers })).status).toBe(200);
      expect((await callApp("POST", `/in/${src.id}/${token}`, { raw: body("L2"), headers })).status).toBe(200);
      expect((await callApp("POST", `/in/${src.id}/${token}`, { raw: "{not json", headers })).status).toBe(400);
      expect((await callApp("POST", `/in/${src.id}/${token}x`, { raw: body("L3"), headers })).status).toBe(401);
      // A failure that is logged: a configuration the Worker cannot run on.
      const broken = await callApp("POST", `/in/${src.id}/${token}`, { raw: body("L4"), headers, env: { ORDER_SHARDS: "6a" } });
      expect(broken.status).toBe(500);
    } finally {
      capture.restore();
    }
    expect(capture.lines.length).toBeGreaterThan(0);
    for (const line of capture.lines) expect(line).not.toContain(token);
  });
});
