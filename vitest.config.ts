import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests run inside workerd with the real D1, Durable Objects and Queues of wrangler.toml.
// Only the outside world (provider APIs, customer endpoints) is faked, by a real HTTP
// server started in test/support/global-setup.ts.
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_TOKEN: "test-admin-token",
            // A fixed test key: 32 bytes of 0x2a, base64.
            ENCRYPTION_KEY: "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=",
            ALLOW_INSECURE_DESTINATIONS: "true",
            PUBLIC_BASE_URL: "",
          },
        },
      }),
    ],
    test: {
      globalSetup: ["./test/support/global-setup.ts"],
      setupFiles: ["./test/support/apply-migrations.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
