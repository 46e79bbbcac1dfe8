import type { Db } from "../db/client";
import { selectIngestLog, type IngestLogFilter, type IngestLogRow, type IngestResult } from "../db/ingest-log";
import { keysetOf, page, type Page } from "../lib/pagination";

export type { IngestLogFilter, IngestLogRow, IngestResult };

/** One page of a workspace's ingest log, newest first, keyset-paginated on (at, id) (API and console). */
export async function listIngestLog(
  db: Db,
  workspaceId: string,
  filter: IngestLogFilter,
  pageOpts: { limit: number; cursor?: string | undefined; prev_cursor?: string | undefined },
): Promise<Page<IngestLogRow>> {
  const keyset = keysetOf(pageOpts);
  const rows = await selectIngestLog(db.$client, workspaceId, filter, keyset, pageOpts.limit + 1);
  return page(rows, pageOpts.limit, (r) => ({ at: r.at, id: r.id }), keyset);
}
