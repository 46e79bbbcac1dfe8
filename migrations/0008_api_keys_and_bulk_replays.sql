CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`session_generation` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_workspace` ON `api_keys` (`workspace_id`,`created_at`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_replays` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`destination_id` text,
	`filter` text NOT NULL,
	`total` integer NOT NULL,
	`succeeded` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`walked_at` integer,
	`cursor` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_replays`("id", "workspace_id", "destination_id", "filter", "total", "succeeded", "failed", "walked_at", "cursor", "created_at", "updated_at") SELECT "id", "workspace_id", "destination_id", "filter", "total", "succeeded", "failed", "walked_at", "cursor", "created_at", "updated_at" FROM `replays`;--> statement-breakpoint
DROP TABLE `replays`;--> statement-breakpoint
ALTER TABLE `__new_replays` RENAME TO `replays`;--> statement-breakpoint
PRAGMA foreign_keys=ON;