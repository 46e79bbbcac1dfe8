import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { api } from "../support/relay";
import { bySignature, createWorkspace, shipstationSource } from "./fake-providers";

describe("two simultaneous register calls for one source", () => {
  it("do not both subscribe: one registers, the other is 409 registration_in_progress; afterwards register works again", async () => {
    const { key } = await createWorkspace("concurrent-register");
    // The provider answers slowly, so the first call is still at work when the second arrives.
    const provider = await mockEndpoint({
      routes: {
        "GET /webhooks": { status: 200, body: { webhooks: [] }, delay_ms: 400 },
        "POST /webhooks/subscribe": { status: 201, body: { id: 5001 } },
      },
    });
    const source = await shipstationSource(key, provider);
    const register = () => api("POST", `/v1/sources/${source.id}/register`, { token: key, body: { events: ["SHIP_NOTIFY"] } });
    const answers = await Promise.all([register(), register()]);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses, answers.map((a) => a.text).join("\n")).toEqual([200, 409]);
    const refused = answers.find((a) => a.status === 409)!;
    expect(refused.json.error.code).toBe("registration_in_progress");
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect(bySignature(await provider.requests(), "POST", "/webhooks/subscribe")).toHaveLength(1);

    // The claim is let go when the call ends: the next register runs.
    const again = await register();
    expect(again.status, again.text).toBe(200);
  });
});
