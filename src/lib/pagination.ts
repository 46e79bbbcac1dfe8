import { fromBase64, toBase64Url, utf8 } from "./encoding";
import { badRequest } from "./errors";

/**
 * Keyset pagination, newest first, on (time, id): stable under concurrent inserts, as a new
 * row sorts before the cursor and never shifts a later page. The API's query schemas are in
 * src/api/pagination.ts; the event and ingest logs page with these.
 */
export interface Cursor {
  at: number;
  id: string;
}

export function encodeCursor(at: number, id: string): string {
  return toBase64Url(utf8(`${at}|${id}`));
}

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (!cursor) return undefined;
  try {
    const [at, id] = new TextDecoder().decode(fromBase64(cursor)).split("|");
    if (!at || !id || !/^\d+$/.test(at)) throw new Error();
    return { at: Number(at), id };
  } catch {
    throw badRequest("cursor: not a cursor this API returned");
  }
}

/** Cuts a limit+1 result to a page and the cursor of the next one. */
export function page<T>(rows: T[], limit: number, key: (row: T) => Cursor) {
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  const last = data[data.length - 1];
  return { data, next_cursor: hasMore && last ? encodeCursor(key(last).at, key(last).id) : null };
}

