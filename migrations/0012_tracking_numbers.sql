-- WITHOUT ROWID added by hand (drizzle-kit cannot declare it): the key is the table, one row
-- written per (workspace, tracking number, order key) pair.
CREATE TABLE `tracking_numbers` (
	`workspace_id` text NOT NULL,
	`tracking_number` text NOT NULL,
	`order_key` text NOT NULL,
	PRIMARY KEY(`workspace_id`, `tracking_number`, `order_key`)
) WITHOUT ROWID;
--> statement-breakpoint
-- Added by hand: the pairs of the events already stored, so ?tracking_number= finds them.
INSERT INTO `tracking_numbers` (`workspace_id`, `tracking_number`, `order_key`)
  SELECT DISTINCT `workspace_id`, `tracking_number`, `order_key` FROM `events`
   WHERE `tracking_number` IS NOT NULL AND `tracking_number` <> '' AND `order_key` IS NOT NULL;--> statement-breakpoint
DROP INDEX `events_workspace_order`;--> statement-breakpoint
DROP INDEX `events_workspace_tracking`;--> statement-breakpoint
CREATE INDEX `events_workspace_order_key` ON `events` (`workspace_id`,`order_key`,`created_at`,`id`) WHERE "events"."order_key" IS NOT NULL;
