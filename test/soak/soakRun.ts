/**
 * The soak run (started by soak.mjs): 20 subscriptions over 4 links through the fault proxy,
 * random writes and random faults for a bounded time, then the strict check. Seeded.
 */
import { ChaosHarness, TABLE } from '../support/harness.js';
import type { WatchSpec } from '../support/watch.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Run one soak; resolves with the exit code (0 = clean). */
export async function runSoak(seed: number, durationMs: number, log: (line: string) => void): Promise<number> {
  const started = Date.now();
  const h = await ChaosHarness.start({ seed, seedRows: 30 });
  const rng = h.rng;
  const faults = new Map<string, number>();
  try {
    const specs: WatchSpec[] = [
      { sql: `SELECT * FROM ${TABLE}`, where: () => true },
      { sql: `SELECT id, label, grp FROM ${TABLE} WHERE grp = 1`, where: (r) => r.grp === 1 },
      { sql: `SELECT * FROM ${TABLE} WHERE grp <> $1`, params: [0], where: (r) => r.grp !== 0 },
      { sql: `SELECT id, n FROM ${TABLE} WHERE label IS NULL OR grp = 2`, where: (r) => r.label === null || r.grp === 2 },
      { sql: `SELECT * FROM ${TABLE} WHERE id > $1`, params: [10], where: (r) => r.id > 10, batchSize: 5 },
    ];
    for (let l = 0; l < 4; l++) {
      const link = h.link();
      for (const spec of specs) h.watch(link, spec);
    }
    await h.ready(h.watches, 20_000);
    const deadline = started + durationMs;
    let nextFault = Date.now() + rng.int(500, 1500);
    let writes = 0;
    while (Date.now() < deadline) {
      await h.writer.random();
      writes++;
      if (Date.now() >= nextFault) {
        const kind = await injectFault(h, rng.int(0, 6));
        faults.set(kind, (faults.get(kind) ?? 0) + 1);
        nextFault = Date.now() + rng.int(300, 1500);
      }
      await sleep(rng.int(0, 20));
    }
    const { problems, results } = await h.settleAndCheck(30_000);
    let duplicates = 0;
    let gaps = 0;
    for (const watch of h.watches) {
      const t = watch.tally();
      duplicates += t.duplicates;
      gaps += t.gaps;
    }
    const events = results.reduce((n, r) => n + r.events, 0);
    const changes = results.reduce((n, r) => n + r.changes, 0);
    const resets = results.reduce((n, r) => n + r.resets, 0);
    const totalFaults = [...faults.values()].reduce((a, b) => a + b, 0);
    log(`seed ${seed}: ${((Date.now() - started) / 1000).toFixed(1)} s, ${writes} writes, ${h.watches.length} subscriptions on ${h.links.length} links`);
    log(`events delivered: ${events} (${changes} changes, ${resets} resets), wire frames ${h.wire.frames}, chained changes ${h.wire.chained}`);
    log(`faults injected: ${totalFaults} ${JSON.stringify(Object.fromEntries(faults))}; proxy ${JSON.stringify(h.proxy.stats)}; reconnects ${h.links.map((l) => l.getSnapshot().reconnects).join('/')}`);
    log(`duplicates: ${duplicates}`);
    log(`gaps: ${gaps}`);
    log(`final equality: ${problems.length === 0 ? 'yes' : 'NO'}`);
    for (const problem of problems) log(`  problem: ${problem}`);
    return problems.length === 0 && duplicates === 0 && gaps === 0 ? 0 : 1;
  } finally {
    await h.close();
  }
}

/** One random fault, healed before returning (bounded: ≤ ~1 s). */
async function injectFault(h: ChaosHarness, which: number): Promise<string> {
  const p = h.proxy;
  switch (which) {
    case 0:
      p.dropAll();
      return 'drop';
    case 1:
      p.refuse(true);
      p.dropAll();
      await sleep(h.rng.int(100, 600));
      p.refuse(false);
      return 'outage';
    case 2:
      p.blackhole(true);
      await sleep(1000);
      p.blackhole(false);
      return 'blackhole';
    case 3:
      p.latencyMs = h.rng.int(50, 400);
      await sleep(800);
      p.latencyMs = 0;
      return 'latency';
    case 4:
      p.killRandom(0.05);
      await sleep(800);
      p.killRandom(0);
      return 'random-kill';
    case 5:
      p.sliceBytes = 3;
      await sleep(500);
      p.sliceBytes = 0;
      return 'fragment';
    default:
      p.bytesPerSec = 5000;
      await sleep(800);
      p.bytesPerSec = 0;
      return 'throttle';
  }
}
