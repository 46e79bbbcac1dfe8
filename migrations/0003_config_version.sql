ALTER TABLE `workspaces` ADD `config_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Added by hand (drizzle-kit does not model triggers): every change to what ingest caches of a
-- workspace — its sources, and the routing columns of its destinations — bumps config_version.
CREATE TRIGGER `sources_config_insert` AFTER INSERT ON `sources` BEGIN
  UPDATE `workspaces` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`workspace_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `sources_config_update` AFTER UPDATE OF `workspace_id`, `provider`, `verification`, `secret_enc`, `credentials_enc`, `settings`, `rate_limit_per_minute`, `ip_allowlist` ON `sources` BEGIN
  UPDATE `workspaces` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`workspace_id`, NEW.`workspace_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `sources_config_delete` AFTER DELETE ON `sources` BEGIN
  UPDATE `workspaces` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`workspace_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `destinations_config_insert` AFTER INSERT ON `destinations` BEGIN
  UPDATE `workspaces` SET `config_version` = `config_version` + 1 WHERE `id` = NEW.`workspace_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `destinations_config_update` AFTER UPDATE OF `workspace_id`, `status`, `events`, `source_ids`, `filter`, `max_attempts` ON `destinations` BEGIN
  UPDATE `workspaces` SET `config_version` = `config_version` + 1 WHERE `id` IN (OLD.`workspace_id`, NEW.`workspace_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `destinations_config_delete` AFTER DELETE ON `destinations` BEGIN
  UPDATE `workspaces` SET `config_version` = `config_version` + 1 WHERE `id` = OLD.`workspace_id`;
END;
--> statement-breakpoint
-- The commit guard: an insert here aborts the whole batch it is in. The order object puts
-- `INSERT INTO stale_config_guard SELECT ... WHERE NOT EXISTS (current version)` first in
-- its batch, so events fanned out from a stale cached config roll back and ingest reloads.
CREATE TABLE `stale_config_guard` (`workspace_id` text NOT NULL);
--> statement-breakpoint
CREATE TRIGGER `stale_config_guard_abort` BEFORE INSERT ON `stale_config_guard` BEGIN
  SELECT RAISE(ABORT, 'stale_config');
END;
