import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";

it("boots", async () => {
  const r = await SELF.fetch("http://relay.test/healthz");
  expect(r.status).toBe(200);
  const ep = await mockEndpoint({ default: { status: 201 } });
  const res = await fetch(ep.url + "/x", { method: "POST", body: "hi" });
  expect(res.status).toBe(201);
  expect((await ep.requests())[0]?.body).toBe("hi");
});
