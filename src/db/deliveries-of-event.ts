import { sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { deliveries } from "./schema";
import { legacyDeliveryId } from "./tables/deliveries";
import { EVENT_ID } from "../events/ids";

/**
 * "The deliveries of event E", the one place it is written. A delivery's id begins with its
 * event's (src/events/ids.ts deliveryIdOf: `dlv_` + the event id's 26 characters + 10 more), so
 * E's deliveries are the primary-key range ('dlv_' || E's 26, 'dlv_' || E's 26 || '~'): '~'
 * sorts after every character of the ids' base32 (src/lib/encoding.ts, 0-9 a-z), and the range
 * costs no index entry per delivery. Rows written before (30 characters, `dlv_` + 26 of a hash,
 * nothing of the event) are found through `deliveries_event_legacy`, a partial index of them
 * only (its WHERE is legacyDeliveryId, which the condition below states too, so SQLite may use
 * it): new rows pay no entry in it. `event_id = E` holds in both branches: the range is only the
 * way in, and a row is E's by its column, whatever its id.
 *
 * Without statistics SQLite takes an equality on any indexed column for about 10 rows and
 * prefers it to this range it cannot size: a query that reads by event keeps its other indexed
 * columns unindexed() (src/db/where.ts), as src/db/deliveries-reads.ts does.
 */

/**
 * `deliveries` rows of the event `eventId`: a bound id, or an SQL expression such as an outer
 * query's column or a listed value. A bound value that is no event id matches nothing (and
 * reads nothing: `evt_` alone would otherwise be the range of every delivery).
 */
export function ofEvent(eventId: SQLWrapper | string): SQL {
  if (typeof eventId === "string" && !EVENT_ID.test(eventId)) return sql`0`;
  const e = typeof eventId === "string" ? sql`${eventId}` : eventId;
  const from = sql`'dlv_' || substr(${e}, 5)`;
  const isE = sql`${deliveries.eventId} = ${e}`;
  return sql`((${deliveries.id} > ${from} and ${deliveries.id} < ${from} || '~' and ${isE}) or (${legacyDeliveryId(deliveries.id)} and ${isE}))`;
}

const dialect = new SQLiteSyncDialect();

/** The same condition as SQL text, for statements written as text: `eventId` is SQL text too (e.g. `e.id`); `deliveries` is not aliased. */
export function ofEventSql(eventId: string): string {
  const q = dialect.sqlToQuery(ofEvent(sql.raw(eventId)));
  if (q.params.length > 0) throw new Error("ofEventSql: an expression, not a value");
  return q.sql;
}
