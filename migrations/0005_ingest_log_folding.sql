ALTER TABLE `ingest_log` ADD `count` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `ingest_log` ADD `last_at` integer;