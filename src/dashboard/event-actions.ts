import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { notFound } from "../lib/errors";
import { findDelivery } from "../db/deliveries-reads";
import { destinationsByIds } from "../db/destinations";
import { requeueDelivery } from "../delivery/requeue";
import type { DashboardEnv } from "./session";

/** The event page's actions. */
export function registerEventActions(app: Hono<DashboardEnv>) {
  // Resend one delivery: the same requeue as `POST /v1/deliveries/:id/retry`.
  app.post("/deliveries/:id/retry", async (c) => {
    const session = c.get("session");
    const db = dbOf(c.env);
    const row = await findDelivery(db, session.workspaceId, c.req.param("id"));
    if (!row) throw notFound("delivery");
    const dest = await destinationsByIds(db, session.workspaceId, [row.destinationId]);
    if (!dest.has(row.destinationId)) return c.redirect(`/dashboard/events/${row.eventId}?flash=resend_gone#${row.id}`, 303);
    await requeueDelivery(c.env, row);
    return c.redirect(`/dashboard/events/${row.eventId}?flash=resent#${row.id}`, 303);
  });
}
