/**
 * Diagnostic for item 1: where the server's CPU per delivery goes. C holder connections × 1
 * subscription on the shared bench table; the writer inserts `rows` rows (multi-row INSERTs).
 * Measured twice on the same server: with real socket writes, and with `ws`'s `send` replaced
 * by a counter (the server's own JS: routing, per-subscription frame splicing, outbound checks,
 * plus the write path) — the difference is the socket write cost (ws framing + syscalls).
 */
import { WebSocket } from 'ws';
import { startKalam, insertSql } from '../lib/kalamServer.mjs';
import { postJson } from '../lib/kalamHttp.mjs';
import { forkChild } from '../lib/child.mjs';
import { sleep } from '../lib/clock.mjs';
import { applyCorkPatch } from '../lib/corkPatch.mjs';

export async function run({ C = 100, rows = 2000, batch = 20, profile = false }) {
  const kalam = await startKalam();
  const holder = await forkChild('holder-child.mjs');
  const realSend = WebSocket.prototype.send;
  try {
    const conns = Array.from({ length: C }, () => ({ token: kalam.token, subs: ['SELECT * FROM bench.rows'] }));
    const ready = await holder.request({ cmd: 'open', url: kalam.wsUrl, conns }, 'ready', 120_000);
    if (ready.acks !== C) throw new Error(`servercost: ${ready.acks}/${C} acks`);
    const auth = { authorization: `Bearer ${kalam.token}` };
    let id = 0;
    const write = async (n) => {
      let next = 0;
      const lane = async () => {
        while (next < n) {
          const k = Math.min(batch, n - next);
          next += k;
          const first = (id += k) - k + 1;
          const res = await postJson(kalam.url, '/v1/api/sql', { sql: insertSql(first, k, 1.5) }, auth);
          if (res.status !== 200) throw new Error(`insert failed ${res.status}`);
        }
      };
      await Promise.all([lane(), lane()]);
    };
    const measure = async (label) => {
      await write(400); // warm-up
      await sleep(50);
      const profiler = profile ? await (await import('../lib/profiler.mjs')).startProfiler() : null;
      const cpu0 = process.cpuUsage();
      await write(rows);
      const cpu = process.cpuUsage(cpu0);
      const prof = profiler ? await profiler.stop(`servercost ${label}`) : undefined;
      return { usPerDelivery: (cpu.user + cpu.system) / (rows * C), userUs: cpu.user / (rows * C), sysUs: cpu.system / (rows * C), ...(prof ? { profile: prof } : {}) };
    };
    const real = await measure('real');
    let sends = 0;
    let bytes = 0;
    WebSocket.prototype.send = function countOnly(frame) { sends++; bytes += frame.length ?? frame.byteLength; };
    const stubbed = await measure('stubbed');
    WebSocket.prototype.send = realSend;
    // What-if: one writev per socket per commit (lib/corkPatch.mjs).
    const restore = applyCorkPatch();
    const corkedRun = await measure('corked');
    restore();
    return { C, rows, real, stubbed, corked: corkedRun, stubbedSends: sends, frameBytes: bytes / sends };
  } finally {
    WebSocket.prototype.send = realSend;
    await holder.exit();
    await kalam.close();
  }
}
