import type { IngestLogEntry } from "../db/ingest-log";
import type { SourceConfig } from "../db/sources";
import type { ApiError } from "../lib/errors";
import type { RoutingDestination } from "./pipeline";

/**
 * What ingesting one callback came to; the route turns it into the provider's answer.
 * `redo`: it was decided on cached config that may have changed (a config-dependent refusal,
 * or a commit the stale-config guard refused), so it runs once more on fresh config.
 */
export type IngestOutcome =
  | { kind: "accepted"; eventIds: string[] }
  | { kind: "duplicate"; eventIds: string[] }
  | { kind: "pending_fetch" }
  | { kind: "refused"; error: ApiError }
  | { kind: "not_committed"; message: string }
  | { kind: "redo"; rawBody: string | undefined; rawBytes?: Uint8Array };

/** The request's ingest-log row before its result is known. */
export type LogBase = Omit<IngestLogEntry, "result" | "eventIds">;

/** A callback past every check, read and parsed, on its way to a commit or a fetch job. */
export interface CheckedCallback {
  source: SourceConfig;
  destinations: RoutingDestination[];
  /** The workspace config version `destinations` were read at; the commit is refused if it moved. */
  configVersion: number;
  rawBody: string;
  parsed: unknown;
  receivedAt: number;
  log: LogBase;
  /** The config came from the isolate cache: a stale commit is redone on fresh config. */
  revalidate: boolean;
}
