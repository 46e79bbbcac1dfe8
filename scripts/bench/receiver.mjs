// The customer's endpoint, on loopback: records what arrives, answers 2xx or a failure, and
// keeps the integrity books (first receipt per event, doubles, latency from the provider's POST).
import http from "node:http";

/**
 * Starts the endpoint. `failRate` (0–1) is the share of attempts answered 503; an attempt
 * numbered `alwaysAcceptFrom` or later is always accepted, so an endpoint that keeps failing
 * a fifth of its calls still takes every event before the destination's retries run out.
 */
export async function startReceiver({ failRate = 0, alwaysAcceptFrom = Infinity, random = Math.random } = {}) {
  const books = {
    attempts: 0,
    failedAttempts: 0,
    /** event id → count of 2xx receipts */
    delivered: new Map(),
    doubled: 0,
    /** provider POST → first 2xx receipt, ms, by event */
    endToEndMs: [],
    firstAt: null,
    lastAt: null,
    /** event id → first 2xx receipt (epoch ms), for deliveries that carry only an id */
    receivedAt: new Map(),
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const now = Date.now();
      books.attempts++;
      const attempt = Number(req.headers["webhook-attempt"] ?? 1);
      if (attempt < alwaysAcceptFrom && random() < failRate) {
        books.failedAttempts++;
        res.writeHead(503, { "content-type": "application/json" });
        res.end('{"ok":false}');
        return;
      }
      let event = null;
      try {
        event = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        /* counted below as an unreadable delivery */
      }
      const id = event?.id ?? `unreadable:${req.headers["webhook-id"]}`;
      const seen = books.delivered.get(id) ?? 0;
      books.delivered.set(id, seen + 1);
      if (seen > 0) books.doubled++;
      else {
        books.receivedAt.set(id, now);
        const sentAt = Number(event?.data?.bench_sent_at);
        if (Number.isFinite(sentAt)) books.endToEndMs.push(now - sentAt);
      }
      books.firstAt ??= now;
      books.lastAt = now;
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hook`,
    books,
    /** Forgets what arrived (between phases), keeps the server. */
    reset() {
      books.attempts = 0;
      books.failedAttempts = 0;
      books.delivered = new Map();
      books.doubled = 0;
      books.endToEndMs = [];
      books.firstAt = null;
      books.lastAt = null;
      books.receivedAt = new Map();
    },
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}
