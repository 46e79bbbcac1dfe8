ALTER TABLE `destinations` ADD `kind` text DEFAULT 'webhook' NOT NULL;--> statement-breakpoint
ALTER TABLE `destinations` ADD `transform` text;