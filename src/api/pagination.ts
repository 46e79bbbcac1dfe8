import { z } from "@hono/zod-openapi";

/**
 * Keyset pagination, newest first, on (time, id). Stable under concurrent inserts: a new row
 * sorts before the cursor and never shifts a later page.
 */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ description: "1–500, default 50" }),
  cursor: z.string().max(200).optional().openapi({ description: "next_cursor of the previous page: the older rows" }),
  prev_cursor: z.string().max(200).optional().openapi({ description: "prev_cursor of a page: the newer rows before it" }),
});

/** What a list answers besides its rows: the cursors either way. */
export const pageCursors = {
  next_cursor: z.string().nullable(),
  prev_cursor: z.string().nullable(),
};

export { decodeCursor, encodeCursor, keysetOf, page, type Cursor, type Keyset } from "../lib/pagination";

export const timeRangeSchema = z.object({
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: "ISO-8601, inclusive" }),
  until: z.iso.datetime({ offset: true }).optional().openapi({ description: "ISO-8601, exclusive" }),
});

export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
export const msOf = (isoString: string | undefined) => (isoString ? Date.parse(isoString) : undefined);
