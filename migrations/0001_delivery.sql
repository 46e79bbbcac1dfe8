ALTER TABLE `deliveries` ADD `replay_id` text;--> statement-breakpoint
CREATE INDEX `deliveries_replay` ON `deliveries` (`replay_id`) WHERE "deliveries"."replay_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE `destinations` ADD `disabled_at` integer;--> statement-breakpoint
ALTER TABLE `destinations` ADD `auto_disable_failures` integer;--> statement-breakpoint
ALTER TABLE `destinations` ADD `auto_disable_seconds` integer;--> statement-breakpoint
ALTER TABLE `replays` ADD `walked_at` integer;--> statement-breakpoint
ALTER TABLE `replays` DROP COLUMN `sent`;--> statement-breakpoint
ALTER TABLE `replays` DROP COLUMN `done`;