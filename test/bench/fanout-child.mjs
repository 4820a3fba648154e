/**
 * The client process of a fan-out run: holds all C connections, timestamps every delivery after
 * decode, reports its slowest client's progress over IPC every 5 ms (the flow-control window),
 * and sends the latency samples' summary when every client has everything (or on request).
 */
import { nowMs } from './lib/clock.mjs';
import { latencySummary } from './lib/stats.mjs';

let config;
let counts;
let samples;
let sampleCount = 0;
let delivered = 0;
let expectedTotal = 0;
let firstMeasured = NaN;
let lastReceive = NaN;
let cpuAtFirst = null;
let cpuAtLast = null;
let reported = false;
let connection;
let reporter;

function onDelivery(c, ts) {
  const now = nowMs();
  const k = counts[c]++;
  delivered++;
  if (k >= config.warmupPerClient) {
    if (sampleCount === 0) { firstMeasured = now; cpuAtFirst = process.cpuUsage(); }
    if (sampleCount < samples.length) samples[sampleCount++] = now - ts;
    lastReceive = now;
  }
  if (delivered === expectedTotal) finish();
}

function minProgress() {
  let min = Infinity;
  for (let c = 0; c < counts.length; c++) if (counts[c] < min) min = counts[c];
  return Math.floor(min / config.perClientPerBroadcast);
}

function finish() {
  if (reported) return;
  reported = true;
  cpuAtLast = process.cpuUsage(cpuAtFirst ?? undefined);
  clearInterval(reporter);
  const cpuMs = cpuAtFirst ? (cpuAtLast.user + cpuAtLast.system) / 1000 : NaN;
  process.send({
    ev: 'done',
    delivered,
    measured: sampleCount,
    firstMeasured,
    lastReceive,
    clientCpuMs: cpuMs,
    clientWallMs: lastReceive - firstMeasured,
    latency: latencySummary(samples.subarray(0, sampleCount)),
    minProgress: minProgress(),
    heapUsed: process.memoryUsage().heapUsed,
  });
}

process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'connect') {
      config = msg;
      counts = new Int32Array(msg.C);
      expectedTotal = msg.expectedTotal;
      samples = new Float64Array(msg.expectedMeasured);
      const transport = await import(msg.module);
      connection = await transport.connectClients({ ...msg.options, url: msg.url, C: msg.C, S: msg.S, onDelivery });
      reporter = setInterval(() => process.send({ ev: 'progress', min: minProgress() }), 5);
      process.send({ ev: 'ready', subscriptions: connection.subscriptions });
    } else if (msg.cmd === 'report') {
      finish();
    } else if (msg.cmd === 'exit') {
      clearInterval(reporter);
      await connection?.close();
      process.exit(0);
    }
  } catch (err) {
    process.send({ ev: 'error', message: String(err?.stack ?? err) });
  }
});
process.send({ ev: 'started' });
