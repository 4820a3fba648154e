/**
 * Fan-out driver (tooling.md Part 2 method). This process is the server under test plus the
 * orchestrator; one forked child holds all C client connections. The child reports its slowest
 * client's progress every 5 ms; at most `window` broadcasts are in flight. `rate = 0` saturates
 * (throughput); `rate > 0` paces broadcasts per second (latency at a fixed load); a transport
 * whose writes come from its own writer process (`server.pace`, kalam) paces there instead, under
 * the same window, and starts the measured phase's clocks through `onStart`. Warm-up broadcasts
 * are excluded from every figure.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nowMs } from './clock.mjs';

const CHILD = fileURLToPath(new URL('../fanout-child.mjs', import.meta.url));

/**
 * @param {object} o
 * @param {string} o.module transport module URL (exports startServer / connectClients)
 * @param {object} [o.serverOptions] passed to startServer
 * @param {object} [o.clientOptions] passed to connectClients in the child
 * @param {number} o.C connections
 * @param {number} [o.S] subscriptions per connection
 * @param {number} [o.deliveriesPerClient] deliveries per client per broadcast (default S)
 * @param {number} o.N measured broadcasts
 * @param {number} o.warmup warm-up broadcasts
 * @param {number} [o.rate] broadcasts per second; 0 = saturate
 * @param {number} [o.window] max broadcasts in flight
 * @param {number} [o.timeoutMs] cap on the measured phase
 */
export async function runFanout(o) {
  const S = o.S ?? 1;
  // Deliveries each client gets per broadcast: S when every subscription matches every row.
  const D = o.deliveriesPerClient ?? S;
  const rate = o.rate ?? 0;
  const window = o.window ?? Math.max(256, Math.ceil(20000 / o.C));
  const total = o.warmup + o.N;
  const transport = await import(o.module);
  const server = await transport.startServer({ C: o.C, S, rate, ...(o.serverOptions ?? {}) });
  const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let minProgress = 0;
  let sent = 0;
  let t0 = NaN;
  let cpu0 = null;
  let ru0 = null;
  let pump = () => {};
  const events = new Map();
  const waitEvent = (name) => new Promise((resolve, reject) => events.set(name, { resolve, reject }));
  child.on('message', (msg) => {
    if (msg.ev === 'progress') {
      if (msg.min > minProgress) minProgress = msg.min;
      server.progress?.(minProgress);
      pump();
      return;
    }
    if (msg.ev === 'error') {
      for (const e of events.values()) e.reject(new Error(`bench client: ${msg.message}`));
      return;
    }
    events.get(msg.ev)?.resolve(msg);
  });
  child.on('exit', (code) => {
    for (const e of events.values()) e.reject(new Error(`bench client exited (${code})`));
  });
  try {
    await waitEvent('started');
    child.send({
      cmd: 'connect',
      module: o.module,
      options: { ...(o.clientOptions ?? {}), ...(server.clientOptions ?? {}) },
      url: server.url,
      C: o.C,
      S,
      perClientPerBroadcast: D,
      warmupPerClient: o.warmup * D,
      expectedTotal: total * o.C * D,
      expectedMeasured: o.N * o.C * D,
    });
    const ready = await waitEvent('ready');
    await server.waitReady(o.C * S);
    const profiler = o.profile ? await (await import('./profiler.mjs')).startProfiler() : null;
    const done = waitEvent('done');
    // t0 marks the first measured broadcast: take it just before sending it.
    const sendSome = (n) => {
      while (n > 0) {
        if (sent === o.warmup && Number.isNaN(t0)) { t0 = nowMs(); cpu0 = process.cpuUsage(); ru0 = process.resourceUsage(); }
        const chunk = sent < o.warmup ? Math.min(n, o.warmup - sent) : n;
        const k = server.send(chunk, sent);
        if (k <= 0) return;
        sent += k;
        n -= k;
      }
    };
    let timer;
    const tStart = nowMs();
    if (rate === 0) {
      pump = () => {
        const allowed = Math.min(total - sent, window - (sent - minProgress));
        if (allowed > 0) sendSome(allowed);
      };
      server.onCapacity?.(() => pump());
      pump();
    } else if (server.pace) {
      // The transport's own writer process paces the writes (kalam: writer-child.mjs).
      server.pace({ rate, total, warmup: o.warmup, window, onStart: () => { t0 = nowMs(); cpu0 = process.cpuUsage(); ru0 = process.resourceUsage(); } });
    } else {
      const interval = 1000 / rate;
      const tick = () => {
        const due = Math.min(total, Math.floor((nowMs() - tStart) / interval) + 1);
        const allowed = Math.min(due - sent, window - (sent - minProgress));
        if (allowed > 0) sendSome(allowed);
        if (sent < total) timer = setTimeout(tick, Math.max(0, tStart + sent * interval - nowMs()));
      };
      server.onCapacity?.(() => {});
      tick();
    }
    const cap = setTimeout(() => child.send({ cmd: 'report' }), o.timeoutMs ?? 60_000);
    const result = await done;
    clearTimeout(cap);
    clearTimeout(timer);
    const cpu = process.cpuUsage(cpu0 ?? undefined);
    const ru = process.resourceUsage();
    const profile = profiler ? await profiler.stop(`server ${o.label}`) : undefined;
    const serverCpuMs = (cpu.user + cpu.system) / 1000;
    const wallMs = result.lastReceive - t0;
    const deliveriesPerSec = (result.measured / wallMs) * 1000;
    return {
      transport: o.label,
      C: o.C,
      S,
      rate,
      broadcasts: o.N,
      subscriptions: ready.subscriptions,
      payloadBytes: server.payloadBytes,
      delivered: result.measured,
      expected: o.N * o.C * D,
      complete: result.measured === o.N * o.C * D,
      deliveriesPerSec,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      serverCpuPct: (serverCpuMs / wallMs) * 100,
      clientCpuPct: (result.clientCpuMs / result.clientWallMs) * 100,
      serverUsPerDelivery: (serverCpuMs * 1000) / result.measured,
      serverSysUsPerDelivery: cpu.system / result.measured,
      clientUsPerDelivery: (result.clientCpuMs * 1000) / result.measured,
      serverSwitchesPerBroadcast: ru0 ? (ru.voluntaryContextSwitches + ru.involuntaryContextSwitches - ru0.voluntaryContextSwitches - ru0.involuntaryContextSwitches) / o.N : NaN,
      ...(server.extraStats ? await server.extraStats() : {}),
      ...(profile ? { profile } : {}),
    };
  } finally {
    child.send({ cmd: 'exit' });
    await new Promise((resolve) => { if (child.exitCode !== null) resolve(); else child.once('exit', resolve); setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 3000).unref(); });
    await server.close();
  }
}
