import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

/** Test files that read or rewrite every row of a table (the key rotation re-seals all secrets), or count every D1 write the runtime makes. */
const ISOLATED = ["test/hardening/secrets.security.test.ts", "test/db/rows-written.test.ts"];

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
      // jsonata ships a UMD file under package.json's "module": pre-bundled, its default export is the function (wrangler's esbuild does the same).
      deps: { optimizer: { ssr: { enabled: true, include: ["jsonata"] } } },
      testTimeout: 30_000,
      hookTimeout: 30_000,
      projects: [
        // Test files share one runtime (and one D1) per worker: starting a fresh one per file
        // cost more than the tests themselves. Every test makes its own workspace and asserts
        // within it, so files do not see each other's rows.
        { extends: true, test: { name: "shared", isolate: false, exclude: [...ISOLATED, ...configDefaults.exclude] } },
        // Files whose assertions cover the whole database get one of their own.
        { extends: true, test: { name: "isolated", include: ISOLATED } },
      ],
    },
  };
});
