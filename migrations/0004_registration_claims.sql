CREATE TABLE `registration_claims` (
	`source_id` text PRIMARY KEY NOT NULL,
	`claim_id` text NOT NULL,
	`claimed_until` integer NOT NULL
);
