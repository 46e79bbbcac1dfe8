#!/usr/bin/env node
// `npm run deploy`: one command from a fresh Cloudflare account to a running relay, and the
// upgrade path after it. Creates what is missing (the D1 database, its id written into
// wrangler.toml; the queues), applies migrations remotely, and deploys; the first time it
// also sets the secrets (ADMIN_TOKEN, ENCRYPTION_KEY: taken from the environment, asked for,
// or generated), uploaded with that deploy. It prints the URL and the first request to make.
// Run again, it finds the database, queues and secrets in place and only migrates and deploys.
//
// `npm run deploy -- --dry-run` prints every step it would run, calls no Cloudflare API (no
// account or login needed) and ends with `wrangler deploy --dry-run`, which bundles the
// Worker and checks the configuration. scripts/deploy-test.mjs holds that path to account.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline/promises";

const root = path.resolve(import.meta.dirname, "..");
const tomlPath = path.join(root, "wrangler.toml");
const secretsFile = path.join(root, ".shiprelay-secrets");
const DRY = process.argv.includes("--dry-run");
const PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000";
const SECRETS = ["ADMIN_TOKEN", "ENCRYPTION_KEY"];
// node_modules/.bin first, as under `npm run`: wrangler then runs on the project's Node (22).
const bin = path.join(root, "node_modules", ".bin");
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, WRANGLER_SEND_METRICS: "false" };

let stepNo = 0;
const say = (line) => console.log(`shiprelay deploy: ${line}`);

/** Runs wrangler (or, in a dry run, says it would). Exits on failure unless `allowFail`. */
function run(args, { title, input, allowFail = false, dryRunToo = false, quiet = false } = {}) {
  if (title) say(`[${++stepNo}] ${title}`);
  const shown = `wrangler ${args.join(" ")}`;
  if (DRY && !dryRunToo) {
    console.log(`  would run: ${shown}${input !== undefined ? " (value on stdin)" : ""}`);
    return { status: 0, stdout: "", stderr: "" };
  }
  console.log(`  $ ${shown}`);
  const res = spawnSync(path.join(bin, "wrangler"), args, { cwd: root, env: { ...env, CI: "true" }, input, encoding: "utf8" });
  if (!quiet && res.stdout.trim()) console.log(res.stdout.trimEnd().replace(/^/gm, "  "));
  if (res.status !== 0 && !allowFail) {
    process.stderr.write(res.stderr ?? "");
    say(`failed: ${shown}`);
    process.exit(res.status ?? 1);
  }
  return res;
}

const toml = () => fs.readFileSync(tomlPath, "utf8");

/** Queue names wrangler.toml uses: producers, consumers and dead-letter queues. */
function queueNames(text) {
  const names = [...text.matchAll(/^\s*(?:queue|dead_letter_queue)\s*=\s*"([^"]+)"/gm)].map((m) => m[1]);
  return [...new Set(names)];
}

function databaseName(text) {
  return /\[\[d1_databases\]\][^[]*?database_name\s*=\s*"([^"]+)"/s.exec(text)?.[1] ?? "shiprelay";
}

// 1. The D1 database. wrangler.toml already has its binding (DB, migrations_dir), so the
// id is written into that block rather than with `d1 create --update-config`, which adds
// a binding block of its own.
function ensureDatabase() {
  const text = toml();
  const name = databaseName(text);
  if (!text.includes(PLACEHOLDER_ID)) {
    say(`[${++stepNo}] D1 database: wrangler.toml names one already (kept)`);
    return;
  }
  const listed = run(["d1", "list", "--json"], { title: `D1 database "${name}": look for it`, quiet: true });
  let id = DRY ? undefined : JSON.parse(listed.stdout || "[]").find((d) => d.name === name)?.uuid;
  if (id) say(`  found ${name} (${id})`);
  else {
    const created = run(["d1", "create", name], { title: `D1 database "${name}": create it` });
    id = DRY ? "<new database id>" : /"?database_id"?\s*[:=]\s*"([0-9a-f-]{36})"/.exec(created.stdout)?.[1];
    if (!id) {
      say("could not read the new database's id from wrangler's output; put it into wrangler.toml (database_id) and run again");
      process.exit(1);
    }
  }
  if (DRY) console.log(`  would write database_id = "${id}" into wrangler.toml`);
  else {
    fs.writeFileSync(tomlPath, text.replace(PLACEHOLDER_ID, id));
    say(`  wrote database_id = "${id}" into wrangler.toml (commit it)`);
  }
}

// 2. The queues wrangler.toml names.
function ensureQueues() {
  const wanted = queueNames(toml());
  const listed = run(["queues", "list"], { title: `queues (${wanted.join(", ")}): look for them`, quiet: true });
  const existing = new Set(DRY ? [] : [...listed.stdout.matchAll(/[\w-]+/g)].map((m) => m[0]));
  for (const q of wanted) {
    if (existing.has(q)) say(`  queue ${q} exists`);
    else run(["queues", "create", q], { title: `queue ${q}: create it` });
  }
}

async function secretValue(name) {
  if (process.env[name]) return { value: process.env[name], from: "your environment" };
  if (!DRY && process.stdin.isTTY) {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    const answer = (await rl.question(`  ${name} (Enter to generate one): `)).trim();
    rl.close();
    if (answer) return { value: answer, from: "you" };
  }
  const value = name === "ENCRYPTION_KEY" ? crypto.randomBytes(32).toString("base64") : `adm_${crypto.randomBytes(24).toString("hex")}`;
  return { value, from: "generated", generated: true };
}

// 4. Secrets, once: those the Worker already has are never changed. Missing ones go up with
// the deploy itself (`--secrets-file`, additive), so the first version never runs without them.
async function missingSecrets() {
  const listed = run(["secret", "list", "--format", "json"], { title: "secrets: look for them", allowFail: true, quiet: true });
  let present = new Set();
  try {
    present = new Set(JSON.parse(listed.stdout || "[]").map((s) => s.name));
  } catch {
    /* no Worker yet: none set */
  }
  const missing = [];
  for (const name of SECRETS) {
    if (present.has(name)) say(`  secret ${name} is set (kept)`);
    else {
      const secret = await secretValue(name);
      say(`  secret ${name}: will be set with the deploy (${secret.from})`);
      missing.push({ name, ...secret });
    }
  }
  return missing;
}

ensureDatabase();
ensureQueues();
run(["d1", "migrations", "apply", "DB", "--remote"], { title: "apply D1 migrations (remote)" });
const missing = await missingSecrets();

let secretsArg = [];
let tmpDir;
if (missing.length && !DRY) {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "shiprelay-"));
  const file = path.join(tmpDir, "secrets.json");
  fs.writeFileSync(file, JSON.stringify(Object.fromEntries(missing.map((m) => [m.name, m.value]))), { mode: 0o600 });
  secretsArg = ["--secrets-file", file];
}
let deployed;
try {
  deployed = run(DRY ? ["deploy", "--dry-run"] : ["deploy", ...secretsArg], {
    title: DRY ? "deploy (dry run: bundle and check only)" : `deploy${missing.length ? ` with ${missing.map((m) => m.name).join(", ")}` : ""}`,
    dryRunToo: true,
  });
} finally {
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
}

const generated = missing.filter((m) => m.generated);
if (generated.length && !DRY) {
  const lines = ["# Written by npm run deploy: the secrets it generated. Keep it safe; never commit it.", ...generated.map((m) => `${m.name}="${m.value}"`), ""];
  fs.appendFileSync(secretsFile, lines.join("\n"), { mode: 0o600 });
  say(`generated secrets (shown this once, also saved in ${path.relative(root, secretsFile)}):`);
  for (const m of generated) console.log(`  ${m.name}=${m.value}`);
}
const tokenFile = DRY || generated.some((m) => m.name === "ADMIN_TOKEN") ? secretsFile : null;

const url = /https:\/\/[\w.-]+\.workers\.dev/.exec(deployed.stdout ?? "")?.[0] ?? "https://<your worker's URL>";
say(DRY ? "dry run finished: nothing was created or changed" : `deployed: ${url}`);
const tokenWhere = tokenFile
  ? `in ${path.relative(root, tokenFile)}`
  : "where you kept it the first time (a Worker secret cannot be read back; `wrangler secret put ADMIN_TOKEN` sets a new one)";
say(`the admin token (ADMIN_TOKEN) is ${tokenWhere}`);
say("create your first workspace (its API key is shown once):");
console.log(
  `  curl -X POST ${url}/v1/workspaces -H "authorization: Bearer $ADMIN_TOKEN" -H "content-type: application/json" -d '{"name": "acme"}'`,
);
say(`reference: ${url}/docs · console: ${url}/dashboard · status: ${url}/v1/status (admin token)`);
