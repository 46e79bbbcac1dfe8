import { openSql } from "./deliveries";

/** The delivery backlog across every workspace (GET /v1/status), on the (status, next_attempt_at) index. */
export interface DeliveryBacklog {
  open: number;
  /** Open and due now (next_attempt_at passed): what the queue should be working on. */
  due: number;
  oldest_open_created_at: number | null;
  /** Open deliveries whose destination is paused or disabled: they wait until it is active. */
  waiting_on_inactive_destination: number;
}

export async function deliveryBacklog(d1: D1Database, now: number): Promise<DeliveryBacklog> {
  const [totals, waiting] = await d1.batch<Record<string, number | null>>([
    d1
      .prepare(
        `SELECT count(*) AS open, coalesce(sum(next_attempt_at <= ?1), 0) AS due, min(created_at) AS oldest
         FROM deliveries WHERE ${openSql("status")}`,
      )
      .bind(now),
    d1.prepare(
      `SELECT count(*) AS n FROM deliveries d JOIN destinations t ON t.id = d.destination_id
       WHERE ${openSql("d.status")} AND t.status <> 'active'`,
    ),
  ]);
  const t = totals!.results[0]!;
  return {
    open: Number(t.open ?? 0),
    due: Number(t.due ?? 0),
    oldest_open_created_at: t.oldest ?? null,
    waiting_on_inactive_destination: Number(waiting!.results[0]?.n ?? 0),
  };
}
