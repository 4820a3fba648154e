/**
 * Chaos on the server side: process restarts (kill -9 and clean stop) with resume from
 * pre-restart SeqIds, change-log retention exceeded during an outage, admin kill, token expiry
 * during an outage, and a slow consumer closed by the server. Each ends with the strict check.
 */
import { ChaosHarness, TABLE } from '../support/harness.js';
import { sql } from '../support/http.js';
import type { WatchSpec } from '../support/watch.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const ALL: WatchSpec = { sql: `SELECT * FROM ${TABLE}`, where: () => true };
const GROUP1: WatchSpec = { sql: `SELECT id, label, grp FROM ${TABLE} WHERE grp = 1`, where: (r) => r.grp === 1 };

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('chaos: server side', () => {
  let h: ChaosHarness;

  afterEach(async () => {
    await h.close();
  });

  async function expectClean(): Promise<void> {
    const { problems } = await h.settleAndCheck(20_000);
    expect(problems).toEqual([]);
  }

  test.each([
    ['kill -9', 'kill9'],
    ['clean stop (SIGTERM)', 'sigterm'],
  ] as const)('server process restart mid-stream (%s): resume from pre-restart SeqIds, no reset', async (_name, how) => {
    h = await ChaosHarness.start({ seed: how === 'kill9' ? 31 : 32, mode: 'child' });
    const link = h.link();
    const all = h.watch(link, ALL);
    const group = h.watch(link, GROUP1);
    await h.ready();
    await h.writer.burst(15);
    await until(() => all.caughtUp() && group.caughtUp(), 5000, 'events before the restart');
    const reconnectsBefore = link.getSnapshot().reconnects;
    await h.restart(how, 300);
    await h.writer.burst(15);
    await expectClean();
    expect(link.getSnapshot().reconnects).toBeGreaterThan(reconnectsBefore);
    // The change log survived the restart: every subscription resumed instead of starting over.
    expect(all.resets + group.resets).toBe(0);
    if (how === 'sigterm') expect(h.wire.closes.get(1001) ?? 0).toBeGreaterThanOrEqual(1);
  }, 40_000);

  test('change-log retention exceeded during an outage → reset, then the right rows', async () => {
    h = await ChaosHarness.start({ seed: 33, serverOptions: { changelogRetentionEntries: 10 } });
    const link = h.link();
    const all = h.watch(link, ALL);
    const group = h.watch(link, GROUP1);
    await h.ready();
    h.proxy.refuse(true);
    h.proxy.dropAll();
    await h.writer.burst(40);
    h.proxy.refuse(false);
    await expectClean();
    expect(all.resets).toBeGreaterThanOrEqual(1);
    expect(group.resets).toBeGreaterThanOrEqual(1);
  });

  test('admin KILL CONNECTION during traffic → terminal `killed`, no reconnect; connect() starts over', async () => {
    h = await ChaosHarness.start({ seed: 34 });
    const link = h.link();
    const all = h.watch(link, ALL);
    await h.ready();
    const connectionId = link.getSnapshot().connectionId;
    expect(connectionId).toMatch(/^[0-9a-f]{32}$/);
    const writing = h.writer.burst(10);
    await sleep(20);
    await sql(h.serverUrl, h.adminToken, `KILL CONNECTION '${String(connectionId)}'`);
    await writing;
    await h.waitForState(link, 'killed', 3000);
    const accepted = h.proxy.stats.accepted;
    await sleep(1000);
    expect(h.proxy.stats.accepted).toBe(accepted);
    expect(link.getSnapshot().state).toBe('killed');
    expect(all.errors.some((e) => e.startsWith('KILLED'))).toBe(true);
    expect(h.wire.closes.get(4004)).toBe(1);
    // Nothing duplicated up to the kill.
    for (let i = 1; i < all.changeSeqs.length; i++) expect((all.changeSeqs[i] as bigint) > (all.changeSeqs[i - 1] as bigint)).toBe(true);
    const lives = await h.adminSelect('SELECT live_id FROM system.live_queries');
    expect(lives).toEqual([]);
    // An explicit connect() starts over; a new subscription is exact again.
    await link.connect();
    h.watches.splice(0);
    h.watch(link, { ...ALL, id: 'after-kill' });
    await h.ready();
    await h.writer.burst(5);
    await expectClean();
  });

  test('auth expiry during an outage → fresh token, resume without reset', async () => {
    h = await ChaosHarness.start({ seed: 35, serverOptions: { tokenTtlSeconds: 2 } });
    const link = h.link();
    const all = h.watch(link, ALL);
    await h.ready();
    h.proxy.refuse(true);
    h.proxy.dropAll();
    await h.writer.burst(10);
    await sleep(2600);
    h.proxy.refuse(false);
    await h.waitForState(link, 'ready', 5000);
    await h.writer.burst(5);
    await expectClean();
    expect(all.resets).toBe(0);
    // Connected past the first token's lifetime: the link refreshed (in-band or on a 4002 close) and kept going.
    await sleep(2500);
    await h.writer.burst(3);
    await expectClean();
    expect(link.getSnapshot().state).toBe('ready');
  });

  test('slow consumer: the server closes with 4006, the client resumes, nothing lost', async () => {
    h = await ChaosHarness.start({ seed: 36, seedRows: 0, serverOptions: { limits: { maxOutboundBytes: 16 * 1024 } } });
    await h.writer.bulkInsert(1500);
    const link = h.link();
    h.watch(link, ALL);
    h.watch(link, { ...ALL, id: 'all-2' });
    await h.ready(h.watches, 20_000);
    h.watch(link, { ...GROUP1, id: 'group-1' });
    await h.ready(h.watches, 20_000);
    // ~1500 rows × 2 kB × 3 subscriptions ≈ 9 MB of changes in one burst, read at 50 kB/s:
    // the server's 16 kB outbound limit overflows within the burst.
    h.proxy.bytesPerSec = 50_000;
    await h.writer.bulkUpdate(2000);
    await sleep(1000);
    // Let the queued frames and the close frame through, so the client sees the code.
    h.proxy.bytesPerSec = 0;
    await until(() => (h.wire.closes.get(4006) ?? 0) > 0, 10_000, 'a slow-consumer close (4006)');
    await expectClean();
  }, 40_000);
});
