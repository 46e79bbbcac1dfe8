DROP INDEX `deliveries_destination_status`;--> statement-breakpoint
DROP INDEX `deliveries_status_next`;--> statement-breakpoint
DROP INDEX `deliveries_destination_order`;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `first_attempt_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `first_duration_ms` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `first_url` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `first_status_code` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `first_response_body` text;--> statement-breakpoint
CREATE INDEX `deliveries_destination_created` ON `deliveries` (`destination_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `deliveries_open` ON `deliveries` (`destination_id`,`order_key`,`sequence`) WHERE "deliveries"."status" IN ('pending', 'retrying');--> statement-breakpoint
DROP INDEX `events_workspace_type`;--> statement-breakpoint
DROP INDEX `events_source_created`;--> statement-breakpoint
DROP INDEX `events_workspace_order`;--> statement-breakpoint
DROP INDEX `events_workspace_tracking`;--> statement-breakpoint
ALTER TABLE `events` ADD `raw` text;--> statement-breakpoint
CREATE INDEX `events_workspace_order` ON `events` (`workspace_id`,`order_reference`,`created_at`,`id`) WHERE "events"."order_reference" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `events_workspace_tracking` ON `events` (`workspace_id`,`tracking_number`,`created_at`,`id`) WHERE "events"."tracking_number" IS NOT NULL;--> statement-breakpoint
DROP INDEX `ingest_log_source_at`;--> statement-breakpoint

-- Added by hand (drizzle-kit cannot declare WITHOUT ROWID): these five tables are keyed by text ids,
-- and a rowid table with a TEXT primary key writes an extra autoindex row on every insert and
-- delete. Rebuilt WITHOUT ROWID (the key is the table: one row written per row), columns as
-- schema.ts declares them; their indexes are recreated after the rename. No triggers sit on them.
CREATE TABLE `events_new` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`source_id` text NOT NULL,
	`type` text NOT NULL,
	`livemode` integer NOT NULL,
	`order_key` text,
	`order_reference` text,
	`tracking_number` text,
	`sequence` integer,
	`dedupe_key` text NOT NULL,
	`body` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`raw` text
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `events_new` (`id`, `workspace_id`, `source_id`, `type`, `livemode`, `order_key`, `order_reference`, `tracking_number`, `sequence`, `dedupe_key`, `body`, `occurred_at`, `created_at`, `raw`) SELECT `id`, `workspace_id`, `source_id`, `type`, `livemode`, `order_key`, `order_reference`, `tracking_number`, `sequence`, `dedupe_key`, `body`, `occurred_at`, `created_at`, `raw` FROM `events`;
--> statement-breakpoint
DROP TABLE `events`;
--> statement-breakpoint
ALTER TABLE `events_new` RENAME TO `events`;
--> statement-breakpoint
CREATE INDEX `events_workspace_created` ON `events` (`workspace_id`,`created_at`,`id`);
--> statement-breakpoint
CREATE INDEX `events_workspace_order` ON `events` (`workspace_id`,`order_reference`,`created_at`,`id`) WHERE "events"."order_reference" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX `events_workspace_tracking` ON `events` (`workspace_id`,`tracking_number`,`created_at`,`id`) WHERE "events"."tracking_number" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE `event_payloads_new` (
	`event_id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`raw` text NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `event_payloads_new` (`event_id`, `workspace_id`, `raw`) SELECT `event_id`, `workspace_id`, `raw` FROM `event_payloads`;
--> statement-breakpoint
DROP TABLE `event_payloads`;
--> statement-breakpoint
ALTER TABLE `event_payloads_new` RENAME TO `event_payloads`;
--> statement-breakpoint
CREATE TABLE `deliveries_new` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`event_id` text NOT NULL,
	`destination_id` text NOT NULL,
	`event_type` text NOT NULL,
	`status` text NOT NULL,
	`attempt_count` integer DEFAULT 0 NOT NULL,
	`attempt_limit` integer NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`lease_until` integer,
	`enqueued_at` integer,
	`order_key` text,
	`sequence` integer,
	`last_status_code` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer,
	`replay_id` text,
	`first_attempt_at` integer,
	`first_duration_ms` integer,
	`first_url` text,
	`first_status_code` integer,
	`first_response_body` text
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `deliveries_new` (`id`, `workspace_id`, `event_id`, `destination_id`, `event_type`, `status`, `attempt_count`, `attempt_limit`, `next_attempt_at`, `lease_until`, `enqueued_at`, `order_key`, `sequence`, `last_status_code`, `last_error`, `created_at`, `updated_at`, `completed_at`, `replay_id`, `first_attempt_at`, `first_duration_ms`, `first_url`, `first_status_code`, `first_response_body`) SELECT `id`, `workspace_id`, `event_id`, `destination_id`, `event_type`, `status`, `attempt_count`, `attempt_limit`, `next_attempt_at`, `lease_until`, `enqueued_at`, `order_key`, `sequence`, `last_status_code`, `last_error`, `created_at`, `updated_at`, `completed_at`, `replay_id`, `first_attempt_at`, `first_duration_ms`, `first_url`, `first_status_code`, `first_response_body` FROM `deliveries`;
--> statement-breakpoint
DROP TABLE `deliveries`;
--> statement-breakpoint
ALTER TABLE `deliveries_new` RENAME TO `deliveries`;
--> statement-breakpoint
CREATE INDEX `deliveries_workspace_created` ON `deliveries` (`workspace_id`,`created_at`,`id`);
--> statement-breakpoint
CREATE INDEX `deliveries_event` ON `deliveries` (`event_id`);
--> statement-breakpoint
CREATE INDEX `deliveries_replay` ON `deliveries` (`replay_id`) WHERE "deliveries"."replay_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX `deliveries_destination_created` ON `deliveries` (`destination_id`,`created_at`);
--> statement-breakpoint
CREATE INDEX `deliveries_open` ON `deliveries` (`destination_id`,`order_key`,`sequence`) WHERE "deliveries"."status" IN ('pending', 'retrying');
--> statement-breakpoint
CREATE TABLE `attempts_new` (
	`id` text PRIMARY KEY NOT NULL,
	`delivery_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`destination_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`at` integer NOT NULL,
	`url` text NOT NULL,
	`status_code` integer,
	`duration_ms` integer NOT NULL,
	`error` text,
	`response_body` text,
	`succeeded` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `attempts_new` (`id`, `delivery_id`, `workspace_id`, `destination_id`, `attempt`, `at`, `url`, `status_code`, `duration_ms`, `error`, `response_body`, `succeeded`) SELECT `id`, `delivery_id`, `workspace_id`, `destination_id`, `attempt`, `at`, `url`, `status_code`, `duration_ms`, `error`, `response_body`, `succeeded` FROM `attempts`;
--> statement-breakpoint
DROP TABLE `attempts`;
--> statement-breakpoint
ALTER TABLE `attempts_new` RENAME TO `attempts`;
--> statement-breakpoint
CREATE UNIQUE INDEX `attempts_delivery_attempt` ON `attempts` (`delivery_id`,`attempt`);
--> statement-breakpoint
CREATE INDEX `attempts_destination_at` ON `attempts` (`destination_id`,`at`);
--> statement-breakpoint
CREATE TABLE `ingest_log_new` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`source_id` text NOT NULL,
	`at` integer NOT NULL,
	`result` text NOT NULL,
	`reason` text,
	`event_id` text,
	`event_ids` text,
	`http_status` integer NOT NULL,
	`detail` text
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `ingest_log_new` (`id`, `workspace_id`, `source_id`, `at`, `result`, `reason`, `event_id`, `event_ids`, `http_status`, `detail`) SELECT `id`, `workspace_id`, `source_id`, `at`, `result`, `reason`, `event_id`, `event_ids`, `http_status`, `detail` FROM `ingest_log`;
--> statement-breakpoint
DROP TABLE `ingest_log`;
--> statement-breakpoint
ALTER TABLE `ingest_log_new` RENAME TO `ingest_log`;
--> statement-breakpoint
CREATE INDEX `ingest_log_workspace_at` ON `ingest_log` (`workspace_id`,`at`,`id`);
