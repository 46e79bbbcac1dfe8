// The steady (open-loop) phases: ACK and end-to-end latency at a fixed rate, on the main relay
// and on a freshly started one.
import { healthLoad, ingestLoad, pacedLoad } from "./load.mjs";
import { cpuMeter, drain } from "./measure.mjs";
import { setUpWorkspace } from "./provider.mjs";
import { startReceiver } from "./receiver.mjs";
import { benchVars, startRelay } from "./relay.mjs";
import { summarize } from "./stats.mjs";

/** An open-loop steady phase: ACK and end-to-end latency, CPU, deliveries. */
export async function steadyPhase(relay, receiver, workspace, { rate, seconds, orders, runId, drainTimeoutMs }) {
  receiver.reset();
  const meter = cpuMeter(relay);
  const phase = await pacedLoad(relay.base, workspace, { rate, seconds, orders, runId });
  phase.drain = await drain(receiver, phase.ok, { timeoutMs: drainTimeoutMs, relay });
  phase.cpu = meter();
  phase.ack = summarize(phase.ackMs);
  phase.endToEnd = summarize(receiver.books.endToEndMs);
  phase.delivered = receiver.books.delivered.size;
  phase.doubled = receiver.books.doubled;
  phase.targetRate = rate;
  delete phase.ackMs;
  return phase;
}

/**
 * Latency on a relay that has served nothing yet, at half and a quarter of the maximum; then
 * the quarter again after the runtime has served only `/healthz` flat out for a while. The
 * local runtime's tail latency worsens with the requests it has served, whatever they were
 * (the report shows by how much), so the main relay's figures (#5, after #1–#2) and these are
 * both given.
 */
export async function latencyOnFreshRelay(project, workDir, bundle, profile, maxRps, log) {
  const relay = await startRelay({ project, workDir, bundle, name: "fresh", vars: benchVars() });
  const receiver = await startReceiver();
  try {
    const workspace = await setUpWorkspace(relay.base, relay.adminToken, { name: "fresh", endpoints: [receiver.url] });
    const runId = `f${Date.now().toString(36)}`;
    await ingestLoad(relay.base, workspace, { connections: profile.connections, seconds: profile.warmupSeconds, orders: 50, runId: `${runId}w` });
    const opts = { orders: profile.ingestOrders, drainTimeoutMs: profile.drainTimeoutMs };
    const half = Math.max(1, Math.round(maxRps / 2));
    const quarter = Math.max(1, Math.round(maxRps / 4));
    log(`fresh relay: ${half} callbacks/s for ${profile.pacedSeconds} s, then ${quarter}/s for ${profile.quarterSeconds} s`);
    const out = { half: await steadyPhase(relay, receiver, workspace, { ...opts, rate: half, seconds: profile.pacedSeconds, runId: `${runId}h` }) };
    out.quarter = await steadyPhase(relay, receiver, workspace, { ...opts, rate: quarter, seconds: profile.quarterSeconds, runId: `${runId}q` });
    log(`fresh relay aged by ${profile.agingSeconds} s of /healthz alone, then ${quarter}/s again`);
    const aging = await healthLoad(relay.base, { connections: profile.connections, seconds: profile.agingSeconds });
    out.agingRequests = aging.requests;
    out.quarterAged = await steadyPhase(relay, receiver, workspace, { ...opts, rate: quarter, seconds: profile.quarterSeconds, runId: `${runId}a` });
    return out;
  } finally {
    await relay.stop();
    await receiver.close();
  }
}
