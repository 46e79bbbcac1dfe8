-- Custom migration (drizzle cannot express a data copy): each workspace's original API key
-- (workspaces.api_key_hash) becomes its key named "default", so it keeps working now that
-- authentication reads api_keys. The id is `key_` and 26 random lowercase hex characters.
INSERT INTO `api_keys` (`id`, `workspace_id`, `name`, `key_hash`, `created_at`, `last_used_at`, `session_generation`)
SELECT 'key_' || lower(hex(randomblob(13))), `id`, 'default', `api_key_hash`, `created_at`, NULL, 0
  FROM `workspaces`
 WHERE `api_key_hash` NOT IN (SELECT `key_hash` FROM `api_keys`);
