/**
 * The commit guard for cached ingest config (migrations/0003_config_version.sql): a statement
 * that aborts the D1 batch it leads when the workspace's `config_version` is no longer the one
 * the events were fanned out from (or the workspace is gone). Reading one row is all it costs
 * when the version still holds.
 */
export function configGuardStatement(db: D1Database, workspaceId: string, configVersion: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO stale_config_guard (workspace_id)
       SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM workspaces WHERE id = ?1 AND config_version = ?2)`,
    )
    .bind(workspaceId, configVersion);
}

/** True when a batch failed on the guard above (the message survives the Durable Object RPC). */
export function isStaleConfig(err: unknown): boolean {
  return err instanceof Error && err.message.includes("stale_config");
}
