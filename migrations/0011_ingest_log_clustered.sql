-- The ingest log keyed in the order it is read (workspace, newest first): WITHOUT ROWID on
-- (workspace_id, at, id) (WITHOUT ROWID added by hand: drizzle-kit cannot declare it), so a
-- request writes 1 row instead of 2 and ingest_log_workspace_at (dropped with the old table) is
-- no longer needed.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_ingest_log` (
	`id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`source_id` text NOT NULL,
	`at` integer NOT NULL,
	`result` text NOT NULL,
	`reason` text,
	`event_id` text,
	`event_ids` text,
	`http_status` integer NOT NULL,
	`detail` text,
	`count` integer DEFAULT 1 NOT NULL,
	`last_at` integer,
	PRIMARY KEY(`workspace_id`, `at`, `id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_ingest_log`("id", "workspace_id", "source_id", "at", "result", "reason", "event_id", "event_ids", "http_status", "detail", "count", "last_at") SELECT "id", "workspace_id", "source_id", "at", "result", "reason", "event_id", "event_ids", "http_status", "detail", "count", "last_at" FROM `ingest_log`;--> statement-breakpoint
DROP TABLE `ingest_log`;--> statement-breakpoint
ALTER TABLE `__new_ingest_log` RENAME TO `ingest_log`;--> statement-breakpoint
PRAGMA foreign_keys=ON;