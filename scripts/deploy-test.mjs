#!/usr/bin/env node
// Checks `npm run deploy` without a Cloudflare account (run by `npm test` after vitest):
//  1. `--dry-run` with the real wrangler: every step listed in order, nothing changed, ends
//     with `wrangler deploy --dry-run` (which bundles the Worker);
//  2. a fresh account and 3. a second run, against a fake wrangler that records its calls
//     (a copy of the script in a temp dir, so the project's wrangler.toml is never touched).
// Prints `N passed, N failed` last and exits non-zero on any failure.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const results = [];
function check(name, fn) {
  try {
    fn();
    results.push(true);
    console.log(`✓ ${name}`);
  } catch (err) {
    results.push(false);
    console.log(`✗ ${name}\n  ${err.message}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
const sha = (file) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

// No account: no token, and a HOME without a wrangler login.
const home = fs.mkdtempSync(path.join(os.tmpdir(), "shiprelay-deploy-home-"));
const baseEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: home, CLOUDFLARE_API_TOKEN: "", CLOUDFLARE_ACCOUNT_ID: "" };
delete baseEnv.ADMIN_TOKEN;
delete baseEnv.ENCRYPTION_KEY;

// 1. The dry run, with the project's own wrangler.
const tomlBefore = sha(path.join(root, "wrangler.toml"));
const secretsState = () => (fs.existsSync(path.join(root, ".shiprelay-secrets")) ? sha(path.join(root, ".shiprelay-secrets")) : "absent");
const secretsBefore = secretsState();
const dry = spawnSync(process.execPath, [path.join(root, "scripts", "deploy.mjs"), "--dry-run"], { cwd: root, env: baseEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const out = dry.stdout;
check("--dry-run succeeds without an account", () => assert(dry.status === 0, `exit ${dry.status}: ${dry.stderr.slice(-800)}`));
check("--dry-run lists every step in order and ends with wrangler deploy --dry-run", () => {
  const steps = [
    "would run: wrangler d1 list --json",
    "would run: wrangler d1 create shiprelay",
    "would run: wrangler queues create shiprelay-deliveries",
    "would run: wrangler queues create shiprelay-jobs",
    "would run: wrangler queues create shiprelay-dead-letters",
    "would run: wrangler d1 migrations apply DB --remote",
    "would run: wrangler secret list",
    "$ wrangler deploy --dry-run",
  ];
  let at = -1;
  for (const s of steps) {
    const i = out.indexOf(s, at + 1);
    assert(i > at, `missing or out of order: ${s}`);
    at = i;
  }
  const ran = out.split("\n").filter((l) => l.trim().startsWith("$ wrangler"));
  assert(ran.length === 1, `only wrangler deploy --dry-run may run, ran: ${ran.join(" | ")}`);
  assert(/--dry-run: exiting now/.test(out), "wrangler's own dry run did not finish");
});
check("--dry-run prints the first POST /v1/workspaces and where the admin token is", () => {
  assert(/curl -X POST .+\/v1\/workspaces -H "authorization: Bearer \$ADMIN_TOKEN"/.test(out), "no curl line");
  assert(/admin token \(ADMIN_TOKEN\) is in \.shiprelay-secrets/.test(out), "no admin token location");
});
check("--dry-run changes nothing", () => {
  assert(sha(path.join(root, "wrangler.toml")) === tomlBefore, "wrangler.toml changed");
  assert(secretsState() === secretsBefore, ".shiprelay-secrets was written");
});

// 2 and 3. A fake wrangler in a copy of the project's deploy inputs.
const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), "shiprelay-deploy-"));
fs.mkdirSync(path.join(sandbox, "scripts"));
fs.mkdirSync(path.join(sandbox, "node_modules", ".bin"), { recursive: true });
fs.copyFileSync(path.join(root, "scripts", "deploy.mjs"), path.join(sandbox, "scripts", "deploy.mjs"));
fs.copyFileSync(path.join(root, "wrangler.toml"), path.join(sandbox, "wrangler.toml"));
const calls = path.join(sandbox, "calls.log");
const fake = path.join(sandbox, "node_modules", ".bin", "wrangler");
fs.writeFileSync(
  fake,
  `#!${process.execPath}
const fs = require("node:fs");
const args = process.argv.slice(2);
const fresh = process.env.FAKE_ACCOUNT === "fresh";
let record = args.join(" ");
const sf = args.indexOf("--secrets-file");
if (sf >= 0) record += " <" + Object.keys(JSON.parse(fs.readFileSync(args[sf + 1], "utf8"))).sort().join(",") + ">";
fs.appendFileSync(${JSON.stringify(calls)}, record + "\\n");
const cmd = args.slice(0, 2).join(" ");
if (cmd === "d1 list") console.log(fresh ? "[]" : JSON.stringify([{ name: "shiprelay", uuid: "11111111-2222-3333-4444-555555555555" }]));
else if (cmd === "d1 create") console.log('[[d1_databases]]\\nbinding = "DB"\\ndatabase_name = "shiprelay"\\ndatabase_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"');
else if (cmd === "queues list") console.log(fresh ? "" : "│ shiprelay-deliveries │\\n│ shiprelay-jobs │\\n│ shiprelay-dead-letters │");
else if (cmd === "secret list") { if (fresh) { console.error("no such worker"); process.exit(1); } console.log(JSON.stringify([{ name: "ADMIN_TOKEN" }, { name: "ENCRYPTION_KEY" }])); }
else if (args[0] === "deploy") console.log("Deployed shiprelay triggers\\n  https://shiprelay.example.workers.dev");
`,
  { mode: 0o755 },
);
const runFake = (account) => {
  fs.writeFileSync(calls, "");
  const res = spawnSync(process.execPath, [path.join(sandbox, "scripts", "deploy.mjs")], {
    cwd: sandbox,
    env: { ...baseEnv, FAKE_ACCOUNT: account },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { ...res, calls: fs.readFileSync(calls, "utf8").trim().split("\n") };
};

const first = runFake("fresh");
check("a fresh account: creates the database and queues, migrates, deploys with both secrets", () => {
  assert(first.status === 0, `exit ${first.status}: ${first.stderr.slice(-800)}`);
  const expected = [
    "d1 list --json",
    "d1 create shiprelay",
    "queues list",
    "queues create shiprelay-deliveries",
    "queues create shiprelay-jobs",
    "queues create shiprelay-dead-letters",
    "d1 migrations apply DB --remote",
    "secret list --format json",
  ];
  assert(JSON.stringify(first.calls.slice(0, -1)) === JSON.stringify(expected), `calls: ${first.calls.join(" | ")}`);
  assert(/^deploy --secrets-file \S+ <ADMIN_TOKEN,ENCRYPTION_KEY>$/.test(first.calls.at(-1)), `last call: ${first.calls.at(-1)}`);
  assert(fs.readFileSync(path.join(sandbox, "wrangler.toml"), "utf8").includes('database_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"'), "id not written into wrangler.toml");
  const secrets = path.join(sandbox, ".shiprelay-secrets");
  assert(fs.existsSync(secrets) && (fs.statSync(secrets).mode & 0o077) === 0, ".shiprelay-secrets missing or readable by others");
  const token = /ADMIN_TOKEN="([^"]+)"/.exec(fs.readFileSync(secrets, "utf8"))?.[1];
  assert(token && first.stdout.includes(token), "generated admin token not printed once");
  assert(first.stdout.includes("https://shiprelay.example.workers.dev/v1/workspaces"), "no URL in the curl line");
});

const tomlAfterFirst = sha(path.join(sandbox, "wrangler.toml"));
const second = runFake("existing");
check("a second run only migrates and deploys", () => {
  assert(second.status === 0, `exit ${second.status}: ${second.stderr.slice(-800)}`);
  const expected = ["queues list", "d1 migrations apply DB --remote", "secret list --format json", "deploy"];
  assert(JSON.stringify(second.calls) === JSON.stringify(expected), `calls: ${second.calls.join(" | ")}`);
  assert(sha(path.join(sandbox, "wrangler.toml")) === tomlAfterFirst, "wrangler.toml changed");
});

fs.rmSync(sandbox, { recursive: true, force: true });
fs.rmSync(home, { recursive: true, force: true });
const passed = results.filter(Boolean).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);
