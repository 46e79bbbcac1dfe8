import { statesWithPrefix } from "../db/relay-state";

/** The order objects' outbox backlogs as they reported them (src/orders/backlog.ts), for a workspace or all. */
export async function outboxBacklog(d1: D1Database, workspaceId?: string) {
  const rows = await statesWithPrefix(d1, workspaceId ? `outbox:${workspaceId}:` : "outbox:");
  let waiting = 0;
  let setAside = 0;
  let oldest: number | null = null;
  for (const r of rows) {
    waiting += Number(r.value.waiting ?? 0);
    setAside += Number(r.value.set_aside ?? 0);
    const at = r.value.oldest_at;
    if (typeof at === "number" && (oldest === null || at < oldest)) oldest = at;
  }
  return {
    objects_with_backlog: rows.length,
    waiting,
    set_aside: setAside,
    oldest_waiting_at: oldest === null ? null : new Date(oldest).toISOString(),
  };
}
