#!/usr/bin/env node
// `npm run openapi`: writes the management API's OpenAPI document (the one served at
// /v1/openapi.json, webhooks included) to docs/openapi.json. test/api/openapi-drift.test.ts
// fails when the committed file and the code disagree: run this and commit the result.
// `--check` only compares (exit 1 on a difference).
import fs from "node:fs";
import path from "node:path";
// tsx (drizzle-kit's TypeScript loader, already installed) loads the Worker's sources in Node.
import { tsImport } from "tsx/esm/api";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "docs", "openapi.json");
const { createManagementApi, openApiDocument } = await tsImport("../src/api/index.ts", import.meta.url);
const text = `${JSON.stringify(openApiDocument(createManagementApi()), null, 2)}\n`;

if (process.argv.includes("--check")) {
  const committed = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
  if (committed !== text) {
    console.error("docs/openapi.json differs from the code: run `npm run openapi` and commit it");
    process.exit(1);
  }
  console.log("docs/openapi.json is up to date");
} else {
  fs.writeFileSync(out, text);
  console.log(`wrote ${path.relative(root, out)}`);
}
