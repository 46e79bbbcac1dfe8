DROP INDEX `deliveries_event`;--> statement-breakpoint
CREATE INDEX `deliveries_event_legacy` ON `deliveries` (`event_id`) WHERE length("deliveries"."id") = 30;