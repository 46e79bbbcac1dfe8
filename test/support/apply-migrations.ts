import { applyD1Migrations, env } from "cloudflare:test";

// Every test file starts from a database at the newest migration.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
