/**
 * The Hono environment every HTTP surface shares (ingest, the management API, the console):
 * bindings and the per-request variables set by the app's middleware. Lives below them all,
 * so ingest and the console need not import the API to name it.
 */
export interface AppVariables {
  workspaceId: string;
  requestId: string;
}
export type AppEnv = { Bindings: Env; Variables: AppVariables };
