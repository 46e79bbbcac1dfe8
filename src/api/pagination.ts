import { z } from "@hono/zod-openapi";
import { badRequest } from "../lib/errors";
import { fromBase64, toBase64Url, utf8 } from "../lib/encoding";

/**
 * Keyset pagination, newest first, on (time, id). Stable under concurrent inserts: a new row
 * sorts before the cursor and never shifts a later page.
 */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ description: "1–500, default 50" }),
  cursor: z.string().max(200).optional().openapi({ description: "next_cursor of the previous page" }),
});

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

export const timeRangeSchema = z.object({
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: "ISO-8601, inclusive" }),
  until: z.iso.datetime({ offset: true }).optional().openapi({ description: "ISO-8601, exclusive" }),
});

export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
export const msOf = (isoString: string | undefined) => (isoString ? Date.parse(isoString) : undefined);
