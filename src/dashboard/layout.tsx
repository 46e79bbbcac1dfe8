import type { Child, FC, PropsWithChildren } from "hono/jsx";
import { raw } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { DashboardContext, Session } from "./session";

/** One small stylesheet, inline (allowed by the page's CSP nonce): no build step, no requests. */
const CSS = `
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#e3e7ed;--bg:#f6f8fa;--accent:#2f5bd3;--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--info:#5f6b7a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line)}
.bar{max-width:1180px;margin:0 auto;padding:10px 20px;display:flex;gap:18px;align-items:center;flex-wrap:wrap}
.brand{font-weight:700;color:var(--fg);text-decoration:none;margin-right:8px}
nav a{color:var(--muted);text-decoration:none;padding:6px 2px}
nav a[aria-current=page]{color:var(--fg);border-bottom:2px solid var(--accent)}
.ws{margin-left:auto;color:var(--muted);display:flex;gap:10px;align-items:center}
main{max-width:1180px;margin:0 auto;padding:20px}
h1{font-size:20px;margin:4px 0 16px}h2{font-size:16px;margin:24px 0 10px}h3{font-size:14px;margin:14px 0 6px}
a{color:var(--accent)}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--line);border-radius:6px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em;background:#fbfcfd}
tr:last-child td{border-bottom:0}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:#0f1720;color:#e6edf3;padding:12px;border-radius:6px;overflow:auto;max-height:420px;margin:6px 0;white-space:pre-wrap;word-break:break-all}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:14px 16px;margin:0 0 14px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin-bottom:16px}
.stat b{display:block;font-size:22px}.stat span{color:var(--muted)}
.num-ok{color:var(--ok)}.num-bad{color:var(--bad)}.num-warn{color:var(--warn)}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#eef1f5;color:var(--info);white-space:nowrap}
.s-succeeded,.s-accepted,.s-active,.s-ok{background:#e6f4ea;color:var(--ok)}
.s-failed,.s-rejected,.s-disabled,.s-bad{background:#fdecea;color:var(--bad)}
.s-retrying,.s-paused,.s-duplicate{background:#fff4d6;color:var(--warn)}
.muted{color:var(--muted)}.small{font-size:12px}.nowrap{white-space:nowrap}
form.inline{display:inline}
form.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end;background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px;margin-bottom:14px}
label{display:flex;flex-direction:column;gap:3px;font-size:12px;color:var(--muted)}
input,select{font:inherit;padding:5px 8px;border:1px solid #c9d1db;border-radius:5px;background:#fff;color:var(--fg)}
button{font:inherit;padding:5px 12px;border-radius:5px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}button.danger{border-color:var(--bad);background:#fff;color:var(--bad)}
.flash{padding:10px 14px;border-radius:6px;margin-bottom:14px;background:#e6f4ea;color:var(--ok);border:1px solid #b7dfc3}
.flash.error{background:#fdecea;color:var(--bad);border-color:#f3c1bd}
details{margin:6px 0}summary{cursor:pointer}
.attempt{border-left:3px solid var(--line);padding:2px 0 2px 12px;margin:8px 0}
.attempt.ok{border-color:var(--ok)}.attempt.bad{border-color:var(--bad)}
.actions{display:flex;gap:8px;flex-wrap:wrap;align-items:flex-end}
progress{width:100%;height:18px}
.login{max-width:380px;margin:12vh auto;background:#fff;border:1px solid var(--line);border-radius:8px;padding:26px}
.login input{width:100%}.login button{width:100%;margin-top:12px;padding:8px}
.pager{margin-top:12px;display:flex;justify-content:flex-end;gap:12px}
.push{margin-left:auto}.pull{margin-right:auto}
form.search{display:flex;gap:6px;align-items:center}form.search label{flex-direction:row}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.timeline{list-style:none;margin:0;padding:0}.timeline li{border-left:3px solid var(--line);padding:4px 0 10px 14px;margin-left:6px}
.field-error{color:var(--bad);font-size:12px}
fieldset.plain{border:0;padding:0;margin:0}label.row{flex-direction:row;gap:4px;align-items:center}.mb{margin-bottom:10px}
.secret{display:flex;gap:8px;align-items:center}.secret input{flex:1;font-family:ui-monospace,monospace}
`;

export interface LayoutProps {
  title: string;
  nonce: string | undefined;
  session?: Session;
  /** Which nav entry is current. */
  active?: "overview" | "events" | "deliveries" | "sources" | "destinations" | "orders" | "api-keys";
  /** Extra `<head>` content (an auto-refresh for pages without script). */
  head?: Child;
}

const NAV: Array<[NonNullable<LayoutProps["active"]>, string, string]> = [
  ["overview", "/dashboard", "Overview"],
  ["events", "/dashboard/events", "Events"],
  ["sources", "/dashboard/sources", "Sources"],
  ["destinations", "/dashboard/destinations", "Destinations"],
  ["deliveries", "/dashboard/deliveries", "Deliveries"],
  ["api-keys", "/dashboard/api-keys", "API keys"],
];

export const Layout: FC<PropsWithChildren<LayoutProps>> = (props) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      <title>{`${props.title} · shiprelay`}</title>
      <link rel="icon" href="data:," />
      <style nonce={props.nonce}>{raw(CSS)}</style>
      {props.head}
    </head>
    <body>
      {props.session ? (
        <header>
          <div class="bar">
            <a class="brand" href="/dashboard">
              shiprelay
            </a>
            <nav>
              {NAV.map(([key, href, label]) => (
                <>
                  <a href={href} aria-current={props.active === key ? "page" : undefined}>
                    {label}
                  </a>{" "}
                </>
              ))}
              <a href="/docs">API reference</a>
            </nav>
            <form class="search" method="get" action="/dashboard/orders" role="search">
              <label>
                <span class="sr">Order reference or tracking number</span>
                <input name="q" type="search" placeholder="Order or tracking number" size={20} maxlength={300} required />
              </label>
              <button class="secondary" type="submit">
                Find order
              </button>
            </form>
            <div class="ws">
              <span>
                Workspace <b>{props.session.workspaceName}</b> <span class="mono small">{props.session.workspaceId}</span>
              </span>
              <form class="inline" method="post" action="/dashboard/logout">
                <CsrfField session={props.session} />
                <button class="secondary" type="submit" title="Ends every console session opened with the API key you signed in with, in every browser">
                  Sign out
                </button>
              </form>
            </div>
          </div>
        </header>
      ) : null}
      <main>{props.children}</main>
    </body>
  </html>
);

/** The hidden token every POST form behind sign-in carries. */
export const CsrfField: FC<{ session: Session }> = ({ session }) => <input type="hidden" name="_csrf" value={session.csrf} />;

/** A coloured status word: delivery, ingest result, destination status. */
export const Badge: FC<{ status: string; children?: Child }> = ({ status, children }) => (
  <span class={`badge s-${status}`}>{children ?? status}</span>
);

/** A UTC time, readable, with the exact ISO value in `datetime`. */
export const Time: FC<{ ms: number | null | undefined }> = ({ ms }) =>
  ms === null || ms === undefined ? (
    <span class="muted">—</span>
  ) : (
    <time class="nowrap" datetime={new Date(ms).toISOString()}>
      {formatTime(ms)}
    </time>
  );

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

/** Pretty JSON for a `<pre>` (escaped by JSX like any text). */
export function pretty(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** Messages a redirect may ask a page to show: a fixed set, so nothing is reflected from the URL. */
export const FLASH_MESSAGES: Record<string, { text: string; error?: boolean }> = {
  resent: { text: "Queued: the delivery is being sent again now; this page refreshes until the new attempt is in." },
  resend_gone: { text: "This delivery's destination was deleted; it cannot be sent again.", error: true },
  paused: { text: "Destination paused: new deliveries wait as pending until it is resumed." },
  resumed: { text: "Destination resumed: deliveries that waited are going out now, in order." },
  replay_none: { text: "No deliveries matched that range; nothing was queued." },
  resend_none: { text: "None of those deliveries is finished (succeeded or failed); nothing was queued." },
};

export const Flash: FC<{ code: string | undefined }> = ({ code }) => {
  const message = code ? FLASH_MESSAGES[code] : undefined;
  return message ? <div class={message.error ? "flash error" : "flash"} role="status">{message.text}</div> : null;
};

/** Renders a page in the layout, signed-in chrome included when there is a session. */
export function render(
  c: DashboardContext,
  props: Omit<LayoutProps, "nonce" | "session">,
  body: Child,
  status: ContentfulStatusCode = 200,
) {
  const session = c.get("session") as Session | undefined;
  return c.html(
    <Layout {...props} nonce={c.get("secureHeadersNonce")} session={session}>
      {body}
    </Layout>,
    status,
  );
}

/**
 * Copy buttons (`<button data-copy="element-id">`): the one script of secret-showing pages,
 * a constant allowed by the page's CSP nonce. Without JavaScript the value stays selectable.
 */
const COPY_SCRIPT = `
document.addEventListener("click", function (e) {
  var b = e.target.closest && e.target.closest("button[data-copy]");
  if (!b) return;
  var el = document.getElementById(b.getAttribute("data-copy"));
  if (!el) return;
  el.select && el.select();
  (navigator.clipboard ? navigator.clipboard.writeText(el.value) : Promise.reject()).then(
    function () { b.textContent = "Copied"; },
    function () { document.execCommand && document.execCommand("copy"); b.textContent = "Copied"; }
  );
});
`;

/** A secret or URL shown in a read-only field with a copy button. */
export const CopyField: FC<{ id: string; label: string; value: string; nonce: string | undefined }> = (p) => (
  <div class="secret">
    <label for={p.id} class="sr">
      {p.label}
    </label>
    <input id={p.id} type="text" readonly value={p.value} aria-label={p.label} />
    <button type="button" class="secondary" data-copy={p.id}>
      Copy
    </button>
    <script nonce={p.nonce}>{raw(COPY_SCRIPT)}</script>
  </div>
);

/** The confirmation page before deleting something: what goes, what stays, one button, a way back. */
export const ConfirmDelete: FC<{
  session: Session;
  what: string;
  name: string;
  consequence: string;
  action: string;
  back: string;
  hidden?: Record<string, string> | undefined;
}> = (p) => (
  <div class="card">
    <h1>Delete {p.name}?</h1>
    <p>{p.consequence} This cannot be undone.</p>
    <form method="post" action={p.action} class="actions">
      <CsrfField session={p.session} />
      {Object.entries(p.hidden ?? {}).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <button type="submit" class="danger" id="confirm-delete">
        Delete {p.what}
      </button>
      <a href={p.back}>Cancel</a>
    </form>
  </div>
);

/** A filter's "any or one of these" select, labelled; `options` are [value, shown] pairs. */
export const AnyOf: FC<{ label: string; name: string; options: Array<[string, string]>; selected: string | undefined }> = (p) => (
  <label>
    {p.label}
    <select name={p.name}>
      <option value="">any</option>
      {p.options.map(([value, shown]) => (
        <option value={value} selected={p.selected === value}>
          {shown}
        </option>
      ))}
    </select>
  </label>
);
