// Published prices the cost model uses, each with where it was read. Only the marginal
// (beyond the Workers Paid plan's included usage) rates: the $5/month plan fee and the
// included allowances are left out, since they do not scale with volume.

export const PRICES = {
  read: "2026-11-25",
  workers: {
    requestsPerMillion: 0.3,
    cpuMsPerMillion: 0.02,
    source: "https://developers.cloudflare.com/workers/platform/pricing/",
  },
  durableObjects: {
    requestsPerMillion: 0.15,
    gbSecondsPerMillion: 12.5,
    /** Duration is billed for 128 MB per active object. */
    gbPerObject: 0.128,
    sqlRowsReadPerMillion: 0.001,
    sqlRowsWrittenPerMillion: 1.0,
    source: "https://developers.cloudflare.com/durable-objects/platform/pricing/",
  },
  d1: {
    rowsReadPerMillion: 0.001,
    rowsWrittenPerMillion: 1.0,
    storagePerGbMonth: 0.75,
    source: "https://developers.cloudflare.com/d1/platform/pricing/",
  },
  queues: {
    /** One operation per 64 KB written, read or deleted; a delivered message is 3. */
    operationsPerMillion: 0.4,
    source: "https://developers.cloudflare.com/queues/platform/pricing/",
  },
  hookdeck: {
    eventsPerMillion: 10.0,
    volumeEventsPerMillion: 3.3,
    note: "$1.00 per additional 100k events, 'as low as $0.33 per 100k'; plans from $39/month (Team)",
    source: "https://hookdeck.com/pricing — as transcribed on 2026-09-20 in github.com/api-evangelist/hookdeck plans/hookdeck-plans-pricing.yml (the page itself was not reachable from here)",
  },
  svix: {
    messagesPerMillion: 100.0,
    note: "$0.0001 per message beyond the plan's 50,000; Professional from $490/month",
    source: "https://www.svix.com/pricing/ — as transcribed on 2026-09-20 in github.com/api-evangelist/svix plans/svix-plans-pricing.yml (the page itself was not reachable from here)",
  },
};

/**
 * Cost of one million events from per-event counts. `perEvent` holds counted operations
 * (Worker requests, DO requests, rows, queue messages) and measured CPU and DO wall time.
 */
export function costPerMillionEvents(perEvent) {
  const p = PRICES;
  const lines = [
    ["Worker requests (ingest + consumer invocations)", perEvent.workerRequests * p.workers.requestsPerMillion],
    ["Worker CPU time", perEvent.cpuMs * p.workers.cpuMsPerMillion],
    ["Durable Object requests", perEvent.doRequests * p.durableObjects.requestsPerMillion],
    ["Durable Object duration (128 MB × active wall time)", (perEvent.doWallMs / 1000) * p.durableObjects.gbPerObject * p.durableObjects.gbSecondsPerMillion],
    ["Durable Object SQLite rows written (incl. setAlarm)", perEvent.doBilledRowsWritten * p.durableObjects.sqlRowsWrittenPerMillion],
    ["Durable Object SQLite rows read", perEvent.doRowsRead * p.durableObjects.sqlRowsReadPerMillion],
    ["D1 rows written", perEvent.d1RowsWritten * p.d1.rowsWrittenPerMillion],
    ["D1 rows read", perEvent.d1RowsRead * p.d1.rowsReadPerMillion],
    ["Queue operations (write + read + delete per message)", perEvent.queueOperations * p.queues.operationsPerMillion],
  ];
  return { lines, total: lines.reduce((sum, [, usd]) => sum + usd, 0) };
}
