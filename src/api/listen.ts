import { dbOf } from "../db/client";
import { deleteDestination } from "../db/destinations";
import { apiError } from "../lib/errors";
import { createListenDestination, listenRequestOf } from "../listen/open";
import type { ListenerInfo } from "../listen/object";
import type { createRouter } from "./app";

/**
 * `GET /v1/listen?events=…&source=…` (API key in `Authorization`): upgrades to the WebSocket
 * of `shiprelay listen`. A temporary `listen` destination is made for it and its object
 * (src/listen/object.ts) holds the socket; deliveries arrive as frames.
 */
export function registerListenRoute(app: ReturnType<typeof createRouter>) {
  app.get("/v1/listen", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw apiError("invalid_request", "GET /v1/listen is a WebSocket: send Upgrade: websocket (shiprelay listen does)");
    }
    const workspaceId = c.get("workspaceId");
    const req = listenRequestOf({ events: c.req.query("events"), source: c.req.query("source") });
    const { row, signingSecret } = await createListenDestination(c.env, workspaceId, req);
    const info: ListenerInfo = { destinationId: row.id, workspaceId, signingSecret, events: req.events, source: req.source };
    const headers = new Headers(c.req.raw.headers);
    headers.set("x-listener", JSON.stringify(info));
    try {
      const stub = c.env.LISTENERS.get(c.env.LISTENERS.idFromName(row.id));
      return await stub.fetch(new Request(c.req.url, { headers }));
    } catch (err) {
      // No socket: no listener, so no destination either.
      await deleteDestination(dbOf(c.env), workspaceId, row.id);
      throw err;
    }
  });
}
