// The bench's two sizes: the full run (BENCHMARKS.md) and `--quick` (a smoke run into .bench/).
export const PROFILES = {
  full: {
    idleSeconds: 4,
    warmupSeconds: 3,
    connections: 16,
    ceilingSeconds: 12,
    ingestSeconds: 15,
    ingestOrders: 1000,
    pacedSeconds: 20,
    quarterSeconds: 10,
    agingSeconds: 30,
    profileSeconds: 8,
    // The whole run should stay near 10 minutes on 2 cores: past the budget no new callback
    // is posted, and the report says how many of the planned ones went out.
    integrity: { events: 20_000, orders: 500, duplicateShare: 0.1, concurrency: 16, failRate: 0.2, budgetSeconds: 900 },
    burst: 100,
    // Beside the edge-floor peer (scripts/bench/side-by-side.mjs): issue #16's load.
    side: { callbacks: 3000, orders: 200, duplicateShare: 0.1, connections: 32, failRate: 0.2, warmup: 200, pacedSeconds: 20 },
    drainTimeoutMs: 180_000,
  },
  quick: {
    idleSeconds: 2,
    warmupSeconds: 1,
    connections: 8,
    ceilingSeconds: 4,
    ingestSeconds: 4,
    ingestOrders: 100,
    pacedSeconds: 5,
    quarterSeconds: 3,
    agingSeconds: 4,
    profileSeconds: 3,
    integrity: { events: 200, orders: 20, duplicateShare: 0.1, concurrency: 8, failRate: 0.2, budgetSeconds: 60 },
    burst: 20,
    side: { callbacks: 300, orders: 40, duplicateShare: 0.1, connections: 32, failRate: 0.2, warmup: 30, pacedSeconds: 4 },
    drainTimeoutMs: 60_000,
  },
};

/** The integrity destination: a short schedule so failed attempts come back within seconds. */
export const INTEGRITY_RETRY = { max_attempts: 6, schedule_seconds: [1, 1, 2] };
