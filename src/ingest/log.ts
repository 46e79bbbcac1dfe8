import type { Db } from "../db/client";
import { selectIngestLog, type IngestLogFilter, type IngestLogRow, type IngestResult } from "../db/ingest-log";
import { decodeCursor, page } from "../lib/pagination";

export type { IngestLogFilter, IngestLogRow, IngestResult };

/** One page of a workspace's ingest log, newest first, keyset-paginated on (at, id) (API and console). */
export async function listIngestLog(
  db: Db,
  workspaceId: string,
  filter: IngestLogFilter,
  pageOpts: { limit: number; cursor?: string | undefined },
): Promise<{ data: IngestLogRow[]; next_cursor: string | null }> {
  const rows = await selectIngestLog(db, workspaceId, filter, decodeCursor(pageOpts.cursor), pageOpts.limit + 1);
  return page(rows, pageOpts.limit, (r) => ({ at: r.at, id: r.id }));
}
