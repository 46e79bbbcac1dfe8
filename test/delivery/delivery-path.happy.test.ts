import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { atoshipEvent, atoshipWorkspace, createDestination, postAtoship, verifyDelivery } from "../support/relay";

describe("one event, end to end", () => {
  it("a signed AtoShip label.created reaches the destination, signed the Standard Webhooks way", async () => {
    const { key, source } = await atoshipWorkspace();
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });

    const res = await postAtoship(source, atoshipEvent());
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, duplicate: false });
    expect(res.json.event_ids).toHaveLength(1);

    const [req] = await endpoint.waitForRequests(1);
    expect(req).toBeDefined();
    const verified = verifyDelivery(req!, dest.signing_secret) as Record<string, any>;
    expect(verified.id).toBe(res.json.event_ids[0]);
    expect(verified.type).toBe("label.created");
    expect(verified.shipment).toMatchObject({ tracking_number: "9400111899223", carrier: "usps", label_id: "lbl_abc123" });
    expect(verified.order).toEqual({ reference: "ord_xyz789" });
    expect(verified.sequence).toBe(1);
    expect(req!.headers["webhook-attempt"]).toBe("1");
    expect(req!.headers["content-type"]).toBe("application/json");
  });
});
