import { deleteState, putStateStatement } from "../db/relay-state";
import { enqueueDeliveries } from "../delivery/messages";
import { relayEventWrite, relaySubscribers } from "../delivery/relay-events";

/** A backlog that lasted this long raises `relay.outbox.delayed` once D1 takes it. */
export const BACKLOG_ALERT_MS = 60_000;

/** What an order object's outbox holds right now (src/orders/outbox.ts `state`). */
export interface OutboxState {
  waiting: number;
  oldestAt: number | null;
  setAside: number;
}

/** The `relay_state` row an object's backlog is reported under: per workspace, so the console can show its own. */
export const backlogStateName = (workspaceId: string, objectId: string) => `outbox:${workspaceId}:${objectId}`;

/**
 * Makes an order object's backlog visible once D1 can take it again (it cannot while D1 is
 * what failed): the object's row in `relay_state` (read by GET /v1/status and the console)
 * is written while entries wait or are set aside and removed once none do; a backlog that
 * lasted BACKLOG_ALERT_MS raises one `relay.outbox.delayed` event for the workspace's
 * destinations that subscribed to relay events. Only runs after trouble, so a healthy object
 * writes none of it.
 */
export async function reportBacklog(
  env: Env,
  at: { workspaceId: string; objectId: string; troubleSince: number | null; now: number },
  state: OutboxState,
): Promise<"reported" | "cleared"> {
  const name = backlogStateName(at.workspaceId, at.objectId);
  const statements: D1PreparedStatement[] = [];
  let messages: Awaited<ReturnType<typeof relayEventWrite>>["messages"] = [];
  const clear = state.waiting === 0 && state.setAside === 0;
  if (!clear) {
    statements.push(
      putStateStatement(
        env.DB,
        name,
        { workspace_id: at.workspaceId, waiting: state.waiting, oldest_at: state.oldestAt, set_aside: state.setAside, since: at.troubleSince },
        at.now,
      ),
    );
  }
  if (at.troubleSince !== null && at.now - at.troubleSince >= BACKLOG_ALERT_MS) {
    const write = await relayEventWrite(
      env,
      {
        workspaceId: at.workspaceId,
        type: "relay.outbox.delayed",
        dedupeKey: `outbox.delayed:${at.objectId}:${at.troubleSince}`,
        data: {
          delayed_seconds: Math.round((at.now - at.troubleSince) / 1000),
          since: new Date(at.troubleSince).toISOString(),
          waiting: state.waiting,
          set_aside: state.setAside,
        },
        now: at.now,
      },
      await relaySubscribers(env, at.workspaceId),
    );
    statements.push(...write.statements);
    messages = write.messages;
  }
  if (statements.length) await env.DB.batch(statements);
  if (clear) await deleteState(env.DB, name);
  await enqueueDeliveries(env.DELIVERIES, messages);
  return clear ? "cleared" : "reported";
}
