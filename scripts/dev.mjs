#!/usr/bin/env node
// `npm run dev`: first-run setup, local D1 migrations, then `wrangler dev` with any extra
// arguments passed through (`npm run dev -- --port 9000`).
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const devVars = path.join(root, ".dev.vars");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

if (!fs.existsSync(devVars)) {
  const adminToken = `adm_${crypto.randomBytes(24).toString("hex")}`;
  const encryptionKey = crypto.randomBytes(32).toString("base64");
  fs.writeFileSync(
    devVars,
    [
      "# Created by npm run dev on first start. Local secrets: never commit this file.",
      `ADMIN_TOKEN="${adminToken}"`,
      `ENCRYPTION_KEY="${encryptionKey}"`,
      `ALLOW_INSECURE_DESTINATIONS="true"`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  console.log(`shiprelay: created ${devVars} with a random ADMIN_TOKEN and ENCRYPTION_KEY.`);
  console.log(`shiprelay: your admin token is in ${devVars} (ADMIN_TOKEN=…).`);
}

const bin = (name) => path.join(root, "node_modules", ".bin", name);
// Migrate the same local state wrangler dev will use (`--persist-to DIR` or `--persist-to=DIR`).
const args = process.argv.slice(2);
const persistAt = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
const persist =
  persistAt < 0 ? [] : args[persistAt].includes("=") ? [args[persistAt]] : ["--persist-to", args[persistAt + 1]];
const migrate = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local", ...persist], {
  cwd: root,
  env: { ...env, CI: "true" },
  stdio: "inherit",
});
if (migrate.status !== 0) {
  console.error("shiprelay: applying local D1 migrations failed");
  process.exit(migrate.status ?? 1);
}

const child = spawn(bin("wrangler"), ["dev", ...args], { cwd: root, env, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
