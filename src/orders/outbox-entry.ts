import type { EventRow } from "../db/events";
import type { IngestLogEntry } from "../db/ingest-log";

/**
 * An entry's key: its dedupe row's primary key, (order key, dedupe key), as JSON text
 * (`entryKey`), the form the outbox's sets and SQL's json_each take.
 */
export type EntryKey = string;
export const entryKey = (orderKey: string, dedupeKey: string): EntryKey => JSON.stringify([orderKey, dedupeKey]);
export const keyParts = (key: EntryKey) => JSON.parse(key) as [string, string];
/** The row of one key: `?1` the order key, `?2` the dedupe key. */
export const BY_KEY = "order_key = ?1 AND dedupe_key = ?2";

/**
 * What a commit leaves in the order object's outbox, in the `outbox` column of the event's
 * dedupe row: the event as D1 will store it (with the provider's payload in `raw`) and the ingest-log
 * entries still to be written (the flush puts the accepted request's in its event's row). A
 * duplicate's rides on the original event's row (with no `event`: flushed already, or along).
 */
export interface OutboxEntry {
  event?: EventRow;
  logs: IngestLogEntry[];
}

