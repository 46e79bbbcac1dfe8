CREATE TABLE `attempts` (
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
);
--> statement-breakpoint
CREATE UNIQUE INDEX `attempts_delivery_attempt` ON `attempts` (`delivery_id`,`attempt`);--> statement-breakpoint
CREATE INDEX `attempts_destination_at` ON `attempts` (`destination_id`,`at`);--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`body` text NOT NULL,
	`at` integer NOT NULL,
	`requeued_at` integer
);
--> statement-breakpoint
CREATE TABLE `deliveries` (
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
	`completed_at` integer
);
--> statement-breakpoint
CREATE INDEX `deliveries_workspace_created` ON `deliveries` (`workspace_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `deliveries_destination_status` ON `deliveries` (`destination_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `deliveries_event` ON `deliveries` (`event_id`);--> statement-breakpoint
CREATE INDEX `deliveries_status_next` ON `deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `deliveries_destination_order` ON `deliveries` (`destination_id`,`order_key`,`sequence`);--> statement-breakpoint
CREATE TABLE `destinations` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text,
	`url` text NOT NULL,
	`backup_url` text,
	`events` text,
	`source_ids` text,
	`status` text NOT NULL,
	`disabled_reason` text,
	`headers_enc` text,
	`auth_enc` text,
	`max_attempts` integer NOT NULL,
	`schedule_seconds` text NOT NULL,
	`timeout_ms` integer NOT NULL,
	`rate_limit_per_minute` integer,
	`ordering` text DEFAULT 'unordered' NOT NULL,
	`filter` text,
	`format` text DEFAULT 'v1' NOT NULL,
	`include_raw` integer DEFAULT false NOT NULL,
	`mtls_certificate` text,
	`signing_secret_enc` text NOT NULL,
	`previous_signing_secret_enc` text,
	`previous_secret_expires_at` integer,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`failing_since` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `destinations_workspace_created` ON `destinations` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `events` (
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
	`raw` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_workspace_created` ON `events` (`workspace_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `events_workspace_order` ON `events` (`workspace_id`,`order_reference`);--> statement-breakpoint
CREATE INDEX `events_workspace_tracking` ON `events` (`workspace_id`,`tracking_number`);--> statement-breakpoint
CREATE INDEX `events_workspace_type` ON `events` (`workspace_id`,`type`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_source_created` ON `events` (`source_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `ingest_log` (
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
);
--> statement-breakpoint
CREATE INDEX `ingest_log_workspace_at` ON `ingest_log` (`workspace_id`,`at`,`id`);--> statement-breakpoint
CREATE INDEX `ingest_log_source_at` ON `ingest_log` (`source_id`,`at`);--> statement-breakpoint
CREATE TABLE `provider_webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`source_id` text NOT NULL,
	`event` text NOT NULL,
	`provider_webhook_id` text NOT NULL,
	`url` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `provider_webhooks_source_event` ON `provider_webhooks` (`source_id`,`event`);--> statement-breakpoint
CREATE TABLE `replays` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`destination_id` text NOT NULL,
	`filter` text NOT NULL,
	`total` integer NOT NULL,
	`sent` integer DEFAULT 0 NOT NULL,
	`succeeded` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`done` integer DEFAULT false NOT NULL,
	`cursor` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sources` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`provider` text NOT NULL,
	`verification` text NOT NULL,
	`secret_enc` text,
	`credentials_enc` text,
	`settings` text DEFAULT '{}' NOT NULL,
	`rate_limit_per_minute` integer,
	`ip_allowlist` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sources_workspace_created` ON `sources` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `workspaces` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`api_key_hash` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workspaces_api_key_hash_unique` ON `workspaces` (`api_key_hash`);