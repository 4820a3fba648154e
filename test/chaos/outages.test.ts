/**
 * Chaos: socket drops and outages while writes continue. Every scenario ends with the strict
 * check — each subscription's LiveRows equals the server's SELECT (as the subscribing user) and
 * the change events since the snapshot are exactly the writer's changes for that query, with
 * strictly increasing SeqIds and an unbroken `prev_seq` chain on the wire.
 */
import { ChaosHarness, TABLE } from '../support/harness.js';
import type { ItemRow } from '../support/writer.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const ALL = { sql: `SELECT * FROM ${TABLE}`, where: (): boolean => true };
const GROUP1 = { sql: `SELECT id, label, grp FROM ${TABLE} WHERE grp = 1`, where: (r: ItemRow): boolean => r.grp === 1 };
const PARAM = { sql: `SELECT * FROM ${TABLE} WHERE grp <> $1`, params: [2], where: (r: ItemRow): boolean => r.grp !== 2 };

describe('chaos: outages', () => {
  let h: ChaosHarness;

  afterEach(async () => {
    await h.close();
  });

  async function expectClean(): Promise<void> {
    const { problems, results } = await h.settleAndCheck();
    expect(problems).toEqual([]);
    expect(results.length).toBe(h.watches.filter((w) => w.handle.status !== 'closed').length);
  }

  test('socket drop + resume: writes before, during and after a drop arrive exactly once', async () => {
    h = await ChaosHarness.start({ seed: 11 });
    const link = h.link();
    h.watch(link, ALL);
    h.watch(link, GROUP1);
    await h.ready();
    await h.writer.burst(10);
    h.proxy.dropAll();
    await h.writer.burst(10);
    await h.waitForState(link, 'ready');
    await h.writer.burst(10);
    await expectClean();
    expect(h.proxy.stats.dropped).toBeGreaterThanOrEqual(1);
    expect(h.wire.chained).toBeGreaterThan(0);
  });

  test('inserts, updates and deletes during an outage are replayed on resume (refused reconnects)', async () => {
    h = await ChaosHarness.start({ seed: 12 });
    const link = h.link();
    h.watch(link, ALL);
    await h.ready();
    h.proxy.refuse(true);
    h.proxy.dropAll();
    await h.writer.insert();
    await h.writer.update();
    await h.writer.remove();
    await h.writer.burst(15);
    await sleep(300);
    expect(link.getSnapshot().state).not.toBe('ready');
    h.proxy.refuse(false);
    await expectClean();
  });

  test('rows leaving and entering a WHERE during an outage become deletes and inserts', async () => {
    h = await ChaosHarness.start({ seed: 13 });
    const link = h.link();
    const group = h.watch(link, GROUP1);
    h.watch(link, PARAM);
    await h.ready();
    const inGroup = [...h.writer.rows.values()].filter((r) => r.grp === 1).map((r) => r.id);
    const outside = [...h.writer.rows.values()].filter((r) => r.grp !== 1).map((r) => r.id);
    h.proxy.refuse(true);
    h.proxy.dropAll();
    for (const id of inGroup.slice(0, 3)) await h.writer.update(id, { grp: 0 });
    for (const id of outside.slice(0, 3)) await h.writer.update(id, { grp: 1 });
    h.proxy.refuse(false);
    await expectClean();
    expect(group.changeSeqs.length).toBeGreaterThanOrEqual(Math.min(3, inGroup.length) + Math.min(3, outside.length));
  });

  test('rapid flapping: 5 × down 150 ms / up 250 ms while writing', async () => {
    h = await ChaosHarness.start({ seed: 14 });
    const link = h.link();
    h.watch(link, ALL);
    h.watch(link, GROUP1);
    await h.ready();
    const writing = (async () => {
      for (let i = 0; i < 40; i++) {
        await h.writer.random();
        await sleep(15);
      }
    })();
    for (let i = 0; i < 5; i++) {
      h.proxy.refuse(true);
      h.proxy.dropAll();
      await sleep(150);
      h.proxy.refuse(false);
      await sleep(250);
    }
    await writing;
    await expectClean();
    expect(h.proxy.stats.dropped + h.proxy.stats.refused).toBeGreaterThanOrEqual(5);
  });

  test('double outage while reconnecting: a second drop hits the resume in flight', async () => {
    h = await ChaosHarness.start({ seed: 15 });
    const link = h.link();
    h.watch(link, ALL);
    await h.ready();
    h.proxy.dropAll();
    await h.writer.burst(5);
    await h.proxy.waitForActive(1, 5000);
    h.proxy.dropAll();
    await h.writer.burst(5);
    await h.proxy.waitForActive(1, 5000);
    await sleep(5);
    h.proxy.dropAll();
    await h.writer.burst(5);
    await expectClean();
  });

  test('staggered outages: three links drop at different times', async () => {
    h = await ChaosHarness.start({ seed: 16 });
    const links = [h.link(), h.link(), h.link()];
    for (const link of links) {
      h.watch(link, ALL);
      h.watch(link, GROUP1);
    }
    await h.ready();
    for (let i = 0; i < 3; i++) {
      await h.writer.burst(4);
      // Drop only the newest pair each time: the proxy's pairs are all links', so drop one by refusing + killing at random.
      h.proxy.killRandom(0.5);
      await h.writer.burst(4);
      h.proxy.killRandom(0);
      await sleep(200);
    }
    await expectClean();
  });

  test('server down before connect: the link waits, connects when it comes up, snapshot is right', async () => {
    h = await ChaosHarness.start({ seed: 17 });
    h.proxy.refuse(true);
    const link = h.link();
    h.watch(link, ALL);
    await sleep(600);
    expect(link.getSnapshot().state).not.toBe('ready');
    await h.writer.burst(5);
    h.proxy.refuse(false);
    await h.ready();
    await h.writer.burst(5);
    await expectClean();
  });

  test('subscribe during reconnect: queued, sent once authenticated, right snapshot', async () => {
    h = await ChaosHarness.start({ seed: 18 });
    const link = h.link();
    h.watch(link, ALL);
    await h.ready();
    h.proxy.refuse(true);
    h.proxy.dropAll();
    await h.writer.burst(5);
    const late = h.watch(link, GROUP1);
    await sleep(100);
    expect(late.handle.status).toBe('pending');
    h.proxy.refuse(false);
    await h.ready();
    await h.writer.burst(5);
    await expectClean();
  });

  test('unsubscribe during an outage: not re-sent, other subscriptions unaffected', async () => {
    h = await ChaosHarness.start({ seed: 19 });
    const link = h.link();
    const keep = h.watch(link, ALL);
    const gone = h.watch(link, GROUP1);
    await h.ready();
    h.proxy.refuse(true);
    h.proxy.dropAll();
    gone.handle.unsubscribe();
    const eventsAtUnsubscribe = gone.events;
    await h.writer.burst(10);
    h.proxy.refuse(false);
    await expectClean();
    expect(gone.handle.status).toBe('closed');
    expect(gone.events).toBeLessThanOrEqual(eventsAtUnsubscribe + 1);
    expect(link.listSubscriptions().map((s) => s.id)).toEqual([keep.handle.id]);
    const rows = await h.adminSelect(`SELECT subscription_id FROM system.live_queries`);
    expect(rows.map((r) => r.subscription_id)).toEqual([keep.handle.id]);
  });
});
