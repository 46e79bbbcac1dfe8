import { DurableObject } from "cloudflare:workers";
import { dbOf } from "../db/client";
import { failOpenOfDestinationStatement } from "../db/deliveries";
import { deleteDestination } from "../db/destinations";
import { LISTENER_ERROR_HEADER } from "./fetcher";
import { LISTENER_GRACE_MS, LISTENER_TIMEOUT_MS } from "./open";

/** What the Worker hands the object with the upgrade (header `x-listener`). */
export interface ListenerInfo {
  destinationId: string;
  workspaceId: string;
  signingSecret: string;
  events: string[] | null;
  source: string | null;
}

interface Answer {
  status: number | null;
  body?: string;
  error?: string;
}

/**
 * The WebSocket of one `shiprelay listen`, one object per temporary `listen` destination.
 *
 * Frames, all JSON text. To the listener: `{"type":"ready", destination_id, signing_secret,
 * events, source}` once, then `{"type":"delivery", request_id, headers, body}` — the exact
 * body and Standard Webhooks headers a webhook destination would be POSTed. From it:
 * `{"type":"result", request_id, status, ms, body?, error?}` — the local endpoint's answer,
 * which becomes the attempt (status null: it could not be reached).
 *
 * The consumer sends a listen destination's deliveries to this object's `fetch` instead of
 * the network (src/delivery/dispatch.ts). The socket is held with the hibernation API, so an
 * idle listener costs nothing; a socket closed for LISTENER_GRACE_MS (an alarm) removes the
 * destination and fails its open deliveries with `listener_gone`.
 */
export class ListenerObject extends DurableObject<Env> {
  /** Deliveries waiting for their answer. Only in memory: the object cannot hibernate while one waits. */
  private pending = new Map<string, { resolve: (a: Answer) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return this.accept(request);
    return this.deliver(request);
  }

  private async accept(request: Request): Promise<Response> {
    const info = JSON.parse(request.headers.get("x-listener") ?? "null") as ListenerInfo | null;
    if (!info) return new Response("missing listener info", { status: 400 });
    await this.ctx.storage.put("listener", { destinationId: info.destinationId, workspaceId: info.workspaceId });
    await this.ctx.storage.deleteAlarm();
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].send(
      JSON.stringify({ type: "ready", destination_id: info.destinationId, signing_secret: info.signingSecret, events: info.events, source: info.source }),
    );
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** One attempt: the signed request as a frame, the listener's answer as the response; LISTENER_ERROR_HEADER when it could not be made. */
  private async deliver(request: Request): Promise<Response> {
    try {
      return await this.forward(request);
    } catch (err) {
      return new Response(null, { status: 502, headers: { [LISTENER_ERROR_HEADER]: (err as Error).message.slice(0, 300) } });
    }
  }

  private async forward(request: Request): Promise<Response> {
    const socket = this.ctx.getWebSockets().at(-1);
    if (!socket) throw new Error("listener not connected");
    const requestId = crypto.randomUUID();
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => (headers[k] = v));
    const body = await request.text();
    const answer = await new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`the listener did not answer within ${LISTENER_TIMEOUT_MS / 1000} s`));
      }, LISTENER_TIMEOUT_MS);
      this.pending.set(requestId, { resolve, reject, timer });
      socket.send(JSON.stringify({ type: "delivery", request_id: requestId, headers, body }));
    });
    if (answer.status === null) throw new Error(`local endpoint: ${answer.error ?? "no answer"}`.slice(0, 300));
    if (!Number.isInteger(answer.status) || answer.status < 200 || answer.status > 599) {
      throw new Error(`local endpoint answered ${String(answer.status)}`);
    }
    const nullBody = answer.status === 204 || answer.status === 205 || answer.status === 304;
    return new Response(nullBody ? null : (answer.body ?? ""), { status: answer.status });
  }

  override async webSocketMessage(_ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    let frame: { type?: string; request_id?: string; status?: unknown; body?: unknown; error?: unknown };
    try {
      frame = JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message));
    } catch {
      return;
    }
    if (frame.type !== "result" || typeof frame.request_id !== "string") return;
    const waiting = this.pending.get(frame.request_id);
    if (!waiting) return;
    this.pending.delete(frame.request_id);
    clearTimeout(waiting.timer);
    waiting.resolve({
      status: typeof frame.status === "number" ? frame.status : null,
      body: typeof frame.body === "string" ? frame.body.slice(0, 1024) : undefined,
      error: typeof frame.error === "string" ? frame.error : undefined,
    });
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "closed");
    } catch {
      /* already closed */
    }
    await this.closed(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.closed(ws);
  }

  /** The last socket went: what waited fails now, and the destination goes after the grace period. */
  private async closed(ws: WebSocket): Promise<void> {
    if (this.ctx.getWebSockets().some((s) => s !== ws && s.readyState === WebSocket.OPEN)) return;
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error("the listener disconnected"));
      this.pending.delete(id);
    }
    await this.ctx.storage.setAlarm(Date.now() + LISTENER_GRACE_MS);
  }

  override async alarm(): Promise<void> {
    if (this.ctx.getWebSockets().some((s) => s.readyState === WebSocket.OPEN)) return;
    const info = await this.ctx.storage.get<{ destinationId: string; workspaceId: string }>("listener");
    if (!info) return;
    await deleteDestination(dbOf(this.env), info.workspaceId, info.destinationId);
    await failOpenOfDestinationStatement(this.env.DB, info.destinationId, Date.now(), "listener_gone").run();
    await this.ctx.storage.deleteAll();
  }
}
