/**
 * Chaos: a degraded network — latency past the pong timeout, half-open sockets, bandwidth
 * collapse, 3-byte fragmentation, random termination, outages in the middle of a batched
 * snapshot, and 20 subscriptions on one bouncing socket. Each ends with the strict check.
 */
import type { KalamLink, SubscriptionEvent } from '@kalam/link';
import { ChaosHarness, TABLE } from '../support/harness.js';
import type { WatchSpec } from '../support/watch.js';
import type { ItemRow } from '../support/writer.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const ALL: WatchSpec = { sql: `SELECT * FROM ${TABLE}`, where: () => true };
const GROUP1: WatchSpec = { sql: `SELECT id, label, grp FROM ${TABLE} WHERE grp = 1`, where: (r) => r.grp === 1 };

/** Write continuously (one statement every `gapMs`) until `stop()`; a failed write stops the loop and rethrows from `stop()`. */
function keepWriting(h: ChaosHarness, gapMs = 20): { stop: () => Promise<number> } {
  let running = true;
  let count = 0;
  const loop = (async () => {
    while (running) {
      await h.writer.random();
      count++;
      await sleep(gapMs);
    }
  })();
  stoppers.push(async () => {
    running = false;
    await loop.catch(() => undefined);
  });
  return {
    stop: async () => {
      running = false;
      await loop;
      return count;
    },
  };
}

/** Resolves when `predicate` holds (polled), rejects after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const stoppers: Array<() => Promise<void>> = [];

describe('chaos: degraded network', () => {
  let h: ChaosHarness;

  afterEach(async () => {
    for (const stop of stoppers.splice(0)) await stop();
    await h.close();
  });

  async function expectClean(): Promise<void> {
    const { problems } = await h.settleAndCheck();
    expect(problems).toEqual([]);
  }

  test('gradual latency ramp past the pong timeout: reconnects, then converges', async () => {
    h = await ChaosHarness.start({ seed: 21 });
    const link = h.link();
    h.watch(link, ALL);
    h.watch(link, GROUP1);
    await h.ready();
    const writes = keepWriting(h);
    for (const latency of [50, 150, 300, 450, 600]) {
      h.proxy.latencyMs = latency;
      await sleep(300);
    }
    // Pings are pipelined (every 300 ms) and any inbound frame counts as life, so a slow but
    // flowing connection stays up. A step past the pong timeout leaves a silent gap > 500 ms:
    // the link must declare the socket dead and reconnect.
    await writes.stop();
    h.proxy.latencyMs = 1500;
    await until(() => link.getSnapshot().reconnects > 0, 6000, 'a reconnect under latency');
    await h.writer.burst(5);
    h.proxy.latencyMs = 0;
    await expectClean();
  });

  test('blackhole (half-open): the heartbeat detects it, the link reconnects after it heals', async () => {
    h = await ChaosHarness.start({ seed: 22 });
    const link = h.link();
    h.watch(link, ALL);
    await h.ready();
    h.proxy.blackhole(true);
    await h.writer.burst(8);
    // ping 300 ms + pong timeout 500 ms: the link leaves `ready` although no socket closed.
    await until(() => link.getSnapshot().state !== 'ready', 3000, 'the heartbeat to notice the blackhole');
    await h.writer.burst(8);
    h.proxy.blackhole(false);
    await h.waitForState(link, 'ready');
    await h.writer.burst(4);
    await expectClean();
  });

  test('bandwidth collapse to 2 kB/s and back', async () => {
    h = await ChaosHarness.start({ seed: 23 });
    const link = h.link();
    h.watch(link, ALL);
    h.watch(link, GROUP1);
    await h.ready();
    h.proxy.bytesPerSec = 2000;
    await h.writer.burst(15);
    await sleep(1000);
    h.proxy.bytesPerSec = 0;
    await h.writer.burst(5);
    await expectClean();
  });

  test('3-byte write fragmentation without a reconnect', async () => {
    h = await ChaosHarness.start({ seed: 24 });
    h.proxy.sliceBytes = 3;
    const link = h.link();
    h.watch(link, ALL);
    h.watch(link, GROUP1);
    await h.ready();
    const acceptedBefore = h.proxy.stats.accepted;
    await h.writer.burst(25);
    await until(() => h.watches.every((w) => w.caughtUp()), 10_000, 'events through 3-byte slices');
    expect(h.proxy.stats.accepted).toBe(acceptedBefore);
    expect(link.getSnapshot().reconnects).toBe(0);
    expect(h.proxy.stats.bytesForwarded / Math.max(1, h.proxy.stats.chunksForwarded)).toBeGreaterThan(3);
    await expectClean();
  });

  test('random termination: chunks kill their connection with p = 0.03 while writing', async () => {
    h = await ChaosHarness.start({ seed: 25 });
    const links = [h.link(), h.link()];
    for (const link of links) {
      h.watch(link, ALL);
      h.watch(link, GROUP1);
    }
    await h.ready();
    h.proxy.killRandom(0.03);
    const writes = keepWriting(h, 10);
    await sleep(2500);
    h.proxy.killRandom(0);
    await writes.stop();
    expect(h.proxy.stats.killed).toBeGreaterThan(0);
    await expectClean();
  });

  test.each([
    ['right after the ack, before the first batch', 'ack'],
    ['in the middle of loading', 'mid'],
  ] as const)('outage during a large batched snapshot (%s)', async (_name, when) => {
    h = await ChaosHarness.start({ seed: when === 'ack' ? 26 : 27, seedRows: 0 });
    await h.writer.bulkInsert(3000);
    const link = h.link();
    let batches = 0;
    let acked = false;
    const tripwire = (event: SubscriptionEvent): void => {
      if (event.type === 'ack' && !acked) {
        acked = true;
        if (when === 'ack') h.proxy.dropAll();
      }
      if (event.type === 'snapshot') {
        batches++;
        if (when === 'mid' && batches === 8) h.proxy.dropAll();
      }
    };
    const big = h.watch(link, { ...ALL, batchSize: 100 });
    big.handle.onEvent(tripwire);
    const writes = keepWriting(h, 15);
    await h.ready(h.watches, 20_000);
    await writes.stop();
    expect(h.proxy.stats.dropped).toBeGreaterThanOrEqual(1);
    await expectClean();
    expect(big.live.getSnapshot().rows.length).toBe(h.writer.rows.size);
  });

  test('20 subscriptions on one socket, socket dropped 10 times while writing', async () => {
    h = await ChaosHarness.start({ seed: 28, seedRows: 40 });
    const link: KalamLink = h.link();
    const specs: WatchSpec[] = [
      ALL,
      GROUP1,
      { sql: `SELECT * FROM ${TABLE} WHERE grp = 0`, where: (r: ItemRow) => r.grp === 0 },
      { sql: `SELECT * FROM ${TABLE} WHERE grp = 2`, where: (r: ItemRow) => r.grp === 2 },
      { sql: `SELECT id, n FROM ${TABLE} WHERE grp IN (0, 2)`, where: (r: ItemRow) => r.grp === 0 || r.grp === 2 },
      { sql: `SELECT * FROM ${TABLE} WHERE label IS NULL`, where: (r: ItemRow) => r.label === null },
      { sql: `SELECT * FROM ${TABLE} WHERE label IS NOT NULL AND grp <> 1`, where: (r: ItemRow) => r.label !== null && r.grp !== 1 },
    ];
    for (let k = 0; k < 13; k++) {
      const threshold = 3 * k;
      specs.push({ sql: `SELECT id, grp, label FROM ${TABLE} WHERE id > $1`, params: [threshold], where: (r: ItemRow) => r.id > threshold, batchSize: 7 });
    }
    for (const spec of specs) h.watch(link, spec);
    await h.ready();
    const writes = keepWriting(h, 10);
    for (let i = 0; i < 10; i++) {
      const before = link.getSnapshot().reconnects;
      await sleep(100);
      h.proxy.dropAll();
      await until(() => link.getSnapshot().reconnects > before && link.getSnapshot().state === 'ready', 5000, `reconnect ${i + 1}`);
    }
    await writes.stop();
    await expectClean();
    expect(h.watches).toHaveLength(20);
    expect(h.proxy.stats.dropped).toBeGreaterThanOrEqual(10);
    const connections = await h.adminSelect('SELECT connection_id FROM system.connections');
    expect(connections).toHaveLength(1);
  });
});
