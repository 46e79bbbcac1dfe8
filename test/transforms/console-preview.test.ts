import { describe, expect, it } from "vitest";
import { rig, sendEvent } from "../delivery/helpers";
import { csrfOf, page, postForm, signIn, textOf } from "../support/dashboard";

describe("console: transform preview", () => {
  it("previews the saved transform, a typed one, none, and shows errors inline", async () => {
    const r = await rig({ transform: '{"t": type}' });
    const eventId = await sendEvent(r, { label: "lbl_console_prev" });
    const cookie = await signIn(r.key);
    const list = await page("/dashboard/destinations", cookie);
    expect(list.text).toContain(`/dashboard/destinations/${r.destination.id}/transform`);
    const form = await page(`/dashboard/destinations/${r.destination.id}/transform`, cookie);
    expect(form.status).toBe(200);
    expect(textOf(form.text)).toContain('{"t": type}');
    const csrf = csrfOf(form.text);
    const url = `/dashboard/destinations/${r.destination.id}/transform`;

    const saved = await postForm(url, { _csrf: csrf, event_id: eventId, transform: '{"t": type}' }, { cookie });
    expect(saved.status).toBe(200);
    expect(textOf(saved.text)).toContain('"t": "label.created"');
    const none = await postForm(url, { _csrf: csrf, event_id: eventId, transform: "" }, { cookie });
    expect(textOf(none.text)).toContain(`"id": "${eventId}"`);
    const bad = await postForm(url, { _csrf: csrf, event_id: eventId, transform: "{" }, { cookie });
    expect(bad.status).toBe(200);
    expect(bad.text).toContain('id="preview-error"');
    expect(textOf(bad.text)).toMatch(/not a valid JSONata expression/);
    const missing = await postForm(url, { _csrf: csrf, event_id: "evt_nope", transform: "" }, { cookie });
    expect(textOf(missing.text)).toContain("event not found");
  });
});

describe("console: an event's page shows the body a transforming destination receives", () => {
  it("renders the transformed body, not the canonical event", async () => {
    const r = await rig({ transform: '{"t": type, "order": data.order.reference}' });
    const eventId = await sendEvent(r, { label: "lbl_console_body" });
    const cookie = await signIn(r.key);
    const res = await page(`/dashboard/events/${eventId}`, cookie);
    expect(res.status).toBe(200);
    const received = textOf(res.text.slice(res.text.indexOf("Request body (what the endpoint receives)")));
    expect(received).toContain('"t": "label.created"');
    // The canonical event's own fields are not what this endpoint receives.
    expect(received.slice(0, received.indexOf("}"))).not.toContain(`"id": "${eventId}"`);
    // What the endpoint did receive is the same body.
    const [sent] = await r.endpoint.requests();
    expect(JSON.parse(sent!.body)).toMatchObject({ t: "label.created" });
  });
});
