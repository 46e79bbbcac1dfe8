import { fromBase64, toBase64Url, utf8 } from "./encoding";
import { badRequest } from "./errors";

/**
 * Keyset pagination, newest first, on (time, id): stable under concurrent inserts, as a new
 * row sorts before the cursor and never shifts a later page. Pages go both ways: `cursor`
 * (an answer's next_cursor) reads older rows, `prev_cursor` reads the newer rows back. The
 * API's query schemas are in src/api/pagination.ts; every list pages with these.
 */
export interface Cursor {
  at: number;
  id: string;
}

/**
 * Where a page starts: `older` reads rows strictly older than `from` (the first page when
 * `from` is unset), `newer` reads rows strictly newer than `from` (paging back).
 */
export interface Keyset {
  direction: "older" | "newer";
  from?: Cursor;
}

export function encodeCursor(at: number, id: string): string {
  return toBase64Url(utf8(`${at}|${id}`));
}

export function decodeCursor(cursor: string | undefined, name = "cursor"): Cursor | undefined {
  if (!cursor) return undefined;
  try {
    const [at, id] = new TextDecoder().decode(fromBase64(cursor)).split("|");
    if (!at || !id || !/^\d+$/.test(at)) throw new Error();
    return { at: Number(at), id };
  } catch {
    throw badRequest(`${name}: not a cursor this API returned`);
  }
}

/** The keyset a request asks for: `cursor` pages forward (older), `prev_cursor` back (newer); not both. */
export function keysetOf(q: { cursor?: string | undefined; prev_cursor?: string | undefined }): Keyset {
  if (q.cursor && q.prev_cursor) throw badRequest("cursor, prev_cursor: give one of them, not both");
  if (q.prev_cursor) return { direction: "newer", from: decodeCursor(q.prev_cursor, "prev_cursor")! };
  return { direction: "older", from: decodeCursor(q.cursor) };
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
  prev_cursor: string | null;
}

/**
 * Cuts a limit+1 result, read in the keyset's direction, to a newest-first page with the
 * cursors either way. A page read backwards arrives oldest first and is turned round.
 */
export function page<T>(rows: T[], limit: number, key: (row: T) => Cursor, keyset: Keyset = { direction: "older" }): Page<T> {
  const hasMore = rows.length > limit;
  const cut = hasMore ? rows.slice(0, limit) : rows;
  const data = keyset.direction === "newer" ? cut.reverse() : cut;
  const cursorOf = (row: T | undefined) => (row ? encodeCursor(key(row).at, key(row).id) : null);
  const first = data[0];
  const last = data[data.length - 1];
  if (keyset.direction === "newer") {
    // Rows older than this page exist: at least the one the prev_cursor came from.
    return { data, next_cursor: cursorOf(last), prev_cursor: hasMore ? cursorOf(first) : null };
  }
  // Rows newer than a page that started at a cursor exist: the page the cursor came from.
  return { data, next_cursor: hasMore ? cursorOf(last) : null, prev_cursor: keyset.from ? cursorOf(first) : null };
}
