CREATE TABLE `pending_fetches` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`source_id` text NOT NULL,
	`ingest_log_id` text NOT NULL,
	`resource_url` text NOT NULL,
	`resource_type` text NOT NULL,
	`received_at` integer NOT NULL,
	`raw` text NOT NULL,
	`attempts` integer NOT NULL,
	`last_error` text,
	`next_try_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pending_fetches_ingest_log` ON `pending_fetches` (`ingest_log_id`);--> statement-breakpoint
CREATE INDEX `pending_fetches_workspace` ON `pending_fetches` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `pending_fetches_next_try` ON `pending_fetches` (`next_try_at`);--> statement-breakpoint
CREATE TABLE `registration_claims` (
	`source_id` text PRIMARY KEY NOT NULL,
	`claim_id` text NOT NULL,
	`claimed_until` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `deliveries` ADD `retry_requested_at` integer;