import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, eventually, postAtoship } from "../support/relay";
import { csrfOf, page, postForm, signIn, textOf } from "../support/dashboard";

const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16);

describe("resend all failed in a range", () => {
  it("starts a replay of the destination's failed deliveries and shows its progress until done", async () => {
    const { key, source } = await atoshipWorkspace("replay-page");
    const endpoint = await mockEndpoint({ default: { status: 503 } });
    const dest = await createDestination(key, { url: endpoint.url, name: "WMS", retry: { max_attempts: 1, schedule_seconds: [60] } });
    for (const label of ["lbl_r1", "lbl_r2"]) {
      expect((await postAtoship(source, atoshipEvent({ data: { label_id: label } }))).status).toBe(200);
    }
    await eventually(async () => {
      const r = await api("GET", `/v1/deliveries?destination=${dest.id}&status=failed`, { token: key });
      return r.json.data.length === 2;
    });
    await endpoint.script({ default: { status: 200 } });

    const cookie = await signIn(key);
    const list = await page("/dashboard/destinations", cookie);
    expect(list.text).toContain(`action="/dashboard/destinations/${dest.id}/replay"`);
    const now = Date.now();
    const started = await postForm(
      `/dashboard/destinations/${dest.id}/replay`,
      { _csrf: csrfOf(list.text), status: "failed", since: minute(now - 3600_000), until: minute(now + 120_000) },
      { cookie },
    );
    expect(started.status, started.text).toBe(303);
    const location = started.headers.get("location")!;
    expect(location).toMatch(/^\/dashboard\/replays\/rpl_/);
    const replayId = location.split("/").pop()!;

    const progressPage = await page(location, cookie);
    expect(progressPage.status).toBe(200);
    expect(progressPage.text).toContain(`data-progress-url="/dashboard/replays/${replayId}/progress"`);
    expect(progressPage.text).toMatch(/<progress id="replay-bar"/);
    const nonce = progressPage.headers.get("content-security-policy")!.match(/script-src 'nonce-([^']+)'/)![1];
    expect(progressPage.text).toContain(`<script nonce="${nonce}">`);

    const done = await eventually(async () => {
      const r = await page(`/dashboard/replays/${replayId}/progress`, cookie);
      const p = JSON.parse(r.text);
      return p.done ? p : undefined;
    }, 20_000);
    expect(done).toMatchObject({ id: replayId, destination_id: dest.id, total: 2, sent: 2, succeeded: 2, failed: 0, done: true, status: "failed" });
    // The page agrees with the API's view of the same replay.
    const viaApi = await api("GET", `/v1/replays/${replayId}`, { token: key });
    expect(viaApi.json).toMatchObject({ total: 2, sent: 2, succeeded: 2, failed: 0, done: true });
    const finished = textOf((await page(location, cookie)).text);
    expect(finished).toContain("done");
    expect(finished).toMatch(/Sent 2 of 2/);
  });

  it("says so when nothing matched, refuses bad ranges, and hides other workspaces' replays", async () => {
    const { key } = await atoshipWorkspace("replay-empty");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const cookie = await signIn(key);
    const token = csrfOf((await page("/dashboard/destinations", cookie)).text);
    const none = await postForm(`/dashboard/destinations/${dest.id}/replay`, { _csrf: token, since: "2001-01-01T00:00", until: "2001-01-02T00:00" }, { cookie });
    expect(none.status).toBe(303);
    expect(none.headers.get("location")).toBe(`/dashboard/destinations?flash=replay_none#${dest.id}`);
    const backwards = await postForm(`/dashboard/destinations/${dest.id}/replay`, { _csrf: token, since: "2001-01-02T00:00", until: "2001-01-01T00:00" }, { cookie });
    expect(backwards.status).toBe(400);
    const noToken = await postForm(`/dashboard/destinations/${dest.id}/replay`, { since: "2001-01-01T00:00" }, { cookie });
    expect(noToken.status).toBe(403);

    const created = await api("POST", `/v1/destinations/${dest.id}/replay`, { token: key, body: {} });
    expect(created.status).toBe(202);
    const stranger = await atoshipWorkspace("replay-stranger");
    const strangerCookie = await signIn(stranger.key);
    expect((await page(`/dashboard/replays/${created.json.id}`, strangerCookie)).status).toBe(404);
    expect((await page(`/dashboard/replays/${created.json.id}/progress`, strangerCookie)).status).toBe(404);
    const foreign = await postForm(`/dashboard/destinations/${dest.id}/replay`, { _csrf: csrfOf((await page("/dashboard", strangerCookie)).text) }, { cookie: strangerCookie });
    expect(foreign.status).toBe(404);
  });
});
