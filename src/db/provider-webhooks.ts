import { and, eq } from "drizzle-orm";
import { newId } from "../lib/ids";
import type { Db } from "./client";
import { providerWebhooks } from "./schema";

/** A webhook the relay registered at a provider for a source, one per event. */
export type WebhookRow = typeof providerWebhooks.$inferSelect;

export async function webhookRowsOf(db: Db, workspaceId: string, sourceId: string): Promise<WebhookRow[]> {
  return db
    .select()
    .from(providerWebhooks)
    .where(and(eq(providerWebhooks.workspaceId, workspaceId), eq(providerWebhooks.sourceId, sourceId)))
    .all();
}

/** Whether any webhook is recorded for the source. */
export async function hasWebhooks(db: Db, sourceId: string): Promise<boolean> {
  const rows = await db.select({ id: providerWebhooks.id }).from(providerWebhooks).where(eq(providerWebhooks.sourceId, sourceId)).limit(1);
  return rows.length > 0;
}

/** Records (or moves) the source's webhook for an event; the event's row is unique per source. */
export async function upsertWebhookRow(
  db: Db,
  source: { workspaceId: string; id: string },
  event: string,
  providerWebhookId: string,
  url: string,
): Promise<WebhookRow> {
  const now = Date.now();
  const [row] = await db
    .insert(providerWebhooks)
    .values({
      id: newId("pwh", now),
      workspaceId: source.workspaceId,
      sourceId: source.id,
      event,
      providerWebhookId,
      url,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [providerWebhooks.sourceId, providerWebhooks.event],
      set: { providerWebhookId, url, updatedAt: now },
    })
    .returning();
  return row!;
}

export async function deleteWebhookRow(db: Db, id: string): Promise<void> {
  await db.delete(providerWebhooks).where(eq(providerWebhooks.id, id));
}

/** Forgets the source's row for a webhook the provider no longer has. */
export async function deleteWebhookRowByProviderId(db: Db, sourceId: string, providerWebhookId: string): Promise<void> {
  await db
    .delete(providerWebhooks)
    .where(and(eq(providerWebhooks.sourceId, sourceId), eq(providerWebhooks.providerWebhookId, providerWebhookId)));
}

export async function deleteWebhookRowsOf(db: Db, sourceId: string): Promise<void> {
  await db.delete(providerWebhooks).where(eq(providerWebhooks.sourceId, sourceId));
}
