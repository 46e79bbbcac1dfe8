// A CPU profile of the Worker's isolate, taken through wrangler dev's inspector (the Chrome
// DevTools protocol), with self time grouped by the module it ran in: esbuild marks each
// module of the bundle with a `// <path>` comment, so a line number names its source.
import fs from "node:fs";

const MODULE_MARK = /^\/\/ ((?:\.\.\/)*(?:[\w.@-]+\/)*(?:node_modules\/.+|src\/.+))$/;

/** Line ranges of the bundle's modules: [{ line, name }] sorted by line. */
function moduleMap(bundlePath) {
  const marks = [];
  fs.readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((text, i) => {
      const m = MODULE_MARK.exec(text);
      if (m) marks.push({ line: i, name: groupOf(m[1]) });
    });
  return marks;
}

/** `node_modules/zod/v4/core/parse.js` → `zod`; `src/ingest/route.ts` → `src/ingest/route.ts`. */
function groupOf(path) {
  const nm = path.lastIndexOf("node_modules/");
  if (nm < 0) return path.replace(/^(\.\.\/)+/, "");
  const rest = path.slice(nm + "node_modules/".length).split("/");
  return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
}

function moduleAt(marks, line) {
  let lo = 0;
  let hi = marks.length - 1;
  let found = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (marks[mid].line <= line) {
      found = marks[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found?.name ?? "(bundle prelude)";
}

async function connect(inspectorPort) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl);
  if (!target) throw new Error("no inspectable Worker");
  // wrangler's inspector proxy only admits local origins.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("inspector connection failed"));
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(msg.error.message));
      else resolve(msg.result);
    }
  };
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const n = ++id;
      pending.set(n, { resolve, reject });
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  return { send, close: () => ws.close() };
}

/**
 * Profiles the Worker isolate while `work()` runs. Returns the sampled busy time, the
 * share by module group, and the heaviest functions.
 */
export async function profileWhile(relay, bundlePath, work) {
  const inspector = await connect(relay.inspectorPort);
  try {
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 200 });
    await inspector.send("Profiler.start");
    const result = await work();
    const { profile } = await inspector.send("Profiler.stop");
    return { result, summary: summarizeProfile(profile, moduleMap(bundlePath)) };
  } finally {
    inspector.close();
  }
}

/** The Worker isolate's V8 heap (used and total bytes), through the inspector. */
export async function isolateHeap(relay) {
  const inspector = await connect(relay.inspectorPort);
  try {
    const { usedSize, totalSize } = await inspector.send("Runtime.getHeapUsage");
    return { usedMiB: usedSize / 2 ** 20, totalMiB: totalSize / 2 ** 20 };
  } finally {
    inspector.close();
  }
}

function summarizeProfile(profile, marks) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas ?? [];
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0)));
  let busyUs = 0;
  let totalUs = 0;
  const groups = new Map();
  const functions = new Map();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const name = node.callFrame.functionName || "(anonymous)";
    totalUs += us;
    if (name === "(idle)" || name === "(program)" || name === "(garbage collector)") {
      if (name === "(garbage collector)") {
        busyUs += us;
        groups.set("(garbage collector)", (groups.get("(garbage collector)") ?? 0) + us);
      }
      continue;
    }
    busyUs += us;
    const inBundle = /\.js$/.test(node.callFrame.url) && node.callFrame.lineNumber >= 0;
    const group = inBundle ? moduleAt(marks, node.callFrame.lineNumber) : node.callFrame.url ? "(runtime)" : "(native)";
    groups.set(group, (groups.get(group) ?? 0) + us);
    const key = `${name} — ${group}${inBundle ? `:${node.callFrame.lineNumber + 1}` : ""}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const top = (map, n) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs ? us / busyUs : 0 }));
  return {
    busyMs: busyUs / 1000,
    sampledMs: totalUs / 1000,
    groups: top(groups, 14),
    allGroups: top(groups, Infinity),
    functions: top(functions, 12),
  };
}
