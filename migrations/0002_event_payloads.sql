CREATE TABLE `event_payloads` (
	`event_id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`raw` text NOT NULL
);
--> statement-breakpoint
-- Keep the payloads of events stored before this migration (added by hand to the generated file).
INSERT INTO `event_payloads` (`event_id`, `workspace_id`, `raw`) SELECT `id`, `workspace_id`, `raw` FROM `events`;
--> statement-breakpoint
ALTER TABLE `events` DROP COLUMN `raw`;