import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { NONCE, secureHeaders } from "hono/secure-headers";
import { ApiError } from "../lib/errors";
import { endKeySessions } from "../access/api-keys";
import { dbOf } from "../db/client";
import { registerDestinationEditPages } from "./destination-pages";
import { registerDestinationPages } from "./destinations";
import { registerEventPages } from "./events";
import { render } from "./layout";
import { registerApiKeyPages } from "./api-keys";
import { registerDeliveryPages } from "./deliveries";
import { registerLoginPages } from "./login";
import { registerOrderPages } from "./orders";
import { registerReplayPages } from "./replays";
import { endSession, requireCsrf, requireDashboardKeyring, requireSameOrigin, requireSession, type DashboardContext, type DashboardEnv } from "./session";
import { registerSourceDetailPage } from "./source-detail";
import { registerSourceEditPages } from "./source-pages";
import { registerSourcePages } from "./sources";
import { registerTransformPreviewPage } from "./transform-preview";

const TITLES: Record<number, string> = {
  400: "That request was not understood",
  401: "Signed out",
  403: "Refused",
  404: "Not found",
  503: "Not configured",
};

/** Errors as pages: ours with their message, anything else logged and a plain 500. */
function renderError(err: Error, c: Context<DashboardEnv>) {
  let status = 500;
  let message = "Something went wrong on our side; it has been logged.";
  if (err instanceof ApiError) {
    status = err.status;
    message = err.message.charAt(0).toUpperCase() + err.message.slice(1);
  } else if (err instanceof HTTPException) {
    status = err.status;
    message = "The request could not be read.";
  } else {
    console.error(JSON.stringify({ level: "error", msg: "dashboard error", request_id: c.get("requestId"), error: err.name, detail: err.message }));
  }
  const signedIn = (c.get("session") as unknown) !== undefined;
  return render(
    c as DashboardContext,
    { title: TITLES[status] ?? "Error" },
    <div class={signedIn ? "card" : "login"}>
      <h1>{TITLES[status] ?? "Error"}</h1>
      <p>{message}</p>
      <p>{status === 401 ? <a href="/dashboard/login">Sign in</a> : <a href="/dashboard">Back to the dashboard</a>}</p>
    </div>,
    status as 400,
  );
}

/**
 * The operator console, served by the Worker at `/dashboard`: server-rendered pages over the
 * same queries as the management API, signed in with a workspace API key.
 */
export function createDashboard() {
  const app = new Hono<DashboardEnv>();
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: [NONCE],
        scriptSrc: [NONCE],
        connectSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: "same-origin",
      xFrameOptions: "DENY",
    }),
    async function noStore(c, next) {
      await next();
      c.header("cache-control", "no-store");
    },
    requireDashboardKeyring(),
    requireSameOrigin(),
  );

  registerLoginPages(app);
  // Everything below is behind sign-in, and every POST below carries the session's CSRF token.
  app.use("*", requireSession(), requireCsrf());
  app.post("/logout", async (c) => {
    const session = c.get("session");
    await endKeySessions(dbOf(c.env), session.workspaceId, session.keyId);
    endSession(c);
    return c.redirect("/dashboard/login?signed_out=1", 303);
  });
  registerEventPages(app);
  registerSourcePages(app);
  registerSourceEditPages(app);
  registerSourceDetailPage(app);
  registerDestinationPages(app);
  registerDestinationEditPages(app);
  registerTransformPreviewPage(app);
  registerReplayPages(app);
  registerOrderPages(app);
  registerDeliveryPages(app);
  registerApiKeyPages(app);
  app.all("*", () => {
    throw new ApiError(404, "not_found", "There is no such page.");
  });
  app.onError(renderError);
  return app;
}
