import { describe, expect, it } from "vitest";
import { api } from "../support/relay";

describe("registration in the OpenAPI description", () => {
  it("describes register, list and remove, and the rotation's registration field", async () => {
    const r = await api("GET", "/v1/openapi.json");
    expect(r.status, r.text).toBe(200);
    const paths = r.json.paths as Record<string, Record<string, any>>;
    expect(Object.keys(paths["/v1/sources/{id}/register"] ?? {})).toEqual(["post"]);
    expect(Object.keys(paths["/v1/sources/{id}/webhooks"] ?? {}).sort()).toEqual(["delete", "get"]);
    expect(paths["/v1/sources/{id}/register"]!.post.responses).toHaveProperty("422");
    expect(paths["/v1/sources/{id}/register"]!.post.responses).toHaveProperty("502");
    expect(r.json.components.schemas).toHaveProperty("RotationRegistration");
    expect(r.json.components.schemas.ProviderWebhookList.properties).toHaveProperty("warning");
  });
});
