/** Change feed, live-query plans, consistent snapshots paged by _seq, change log reads and retention. */
import type { CommittedChange, Engine } from '../../server/src/engine/index.js';
import { admin, alice, bob, expectCode, sql1, tempEngine } from './helpers.js';

let t: Awaited<ReturnType<typeof tempEngine>>;
let e: Engine;
let n = 0;

/** A fresh user table per test so partitions start empty. */
async function table(kind: 'USER' | 'SHARED' = 'USER'): Promise<string> {
  const name = `app.t${++n}`;
  await sql1(e, admin, `CREATE ${kind} TABLE ${name} (id INT PRIMARY KEY, title TEXT, done BOOLEAN NOT NULL)`);
  return name;
}

beforeAll(async () => {
  t = await tempEngine();
  e = t.engine;
  await sql1(e, admin, 'CREATE NAMESPACE app');
});
afterAll(() => t.cleanup());

describe('change feed', () => {
  test('onCommit reports full rows with _seq, in SeqId order, once per statement batch', async () => {
    const tbl = await table();
    const batches: (readonly CommittedChange[])[] = [];
    const off = e.onCommit((c) => batches.push(c));
    const ins = await sql1(e, alice, `INSERT INTO ${tbl} (id, title, done) VALUES (1, 'a', false), (2, 'b', false)`);
    const upd = await sql1(e, alice, `UPDATE ${tbl} SET done = true WHERE id = 1`);
    const del = await sql1(e, alice, `DELETE FROM ${tbl} WHERE id = 2`);
    off();
    expect(batches.map((b) => b.length)).toEqual([2, 1, 1]);
    const all = batches.flat();
    expect(all.map((c) => c.changeType)).toEqual(['insert', 'insert', 'update', 'delete']);
    for (let i = 1; i < all.length; i++) expect(all[i]!.seq > all[i - 1]!.seq).toBe(true);
    expect(all[0]).toEqual({ seq: all[0]!.seq, tableId: tbl, kind: 'user', partition: 'alice', changeType: 'insert', oldRow: null, newRow: { id: 1, title: 'a', done: false, _seq: all[0]!.seq } });
    expect(all[2]!.oldRow).toEqual(all[0]!.newRow);
    expect(all[2]!.newRow).toEqual({ id: 1, title: 'a', done: true, _seq: all[2]!.seq });
    expect(all[3]!.oldRow).toEqual(all[1]!.newRow);
    expect(all[3]!.newRow).toBeNull();
    expect([ins.lastSeq, upd.lastSeq, del.lastSeq]).toEqual([all[1]!.seq, all[2]!.seq, all[3]!.seq]);
    expect(e.currentSeq()).toBe(all[3]!.seq);
  });

  test('currentSeq is already advanced when listeners run; the log holds the same changes (row + log atomic)', async () => {
    const tbl = await table();
    const seen: bigint[] = [];
    const off = e.onCommit((c) => {
      seen.push(e.currentSeq());
      expect(e.currentSeq()).toBe(c[c.length - 1]!.seq);
    });
    const before = e.currentSeq();
    await sql1(e, alice, `INSERT INTO ${tbl} (id, done) VALUES (1, false), (2, true)`);
    await sql1(e, alice, `UPDATE ${tbl} SET title = 'x'`);
    off();
    const log = await e.readChanges(tbl, 'alice', before, e.currentSeq(), 100);
    expect(log.map((c) => c.changeType)).toEqual(['insert', 'insert', 'update', 'update']);
    expect(log[log.length - 1]!.seq).toBe(seen[seen.length - 1]);
    // a failed statement commits nothing: no log entry, no event, no seq advance
    const cur = e.currentSeq();
    await expectCode(sql1(e, alice, `INSERT INTO ${tbl} (id, done) VALUES (3, true), (1, true)`), 'CONFLICT');
    expect(e.currentSeq()).toBe(cur);
    expect(await e.readChanges(tbl, 'alice', cur, cur + 1_000_000_000n, 10)).toEqual([]);
  });

  test('shared-table changes have partition "" and kind shared', async () => {
    const tbl = await table('SHARED');
    const got: CommittedChange[] = [];
    const off = e.onCommit((c) => got.push(...c));
    await sql1(e, admin, `INSERT INTO ${tbl} (id, done) VALUES (1, true)`);
    off();
    expect(got[0]).toMatchObject({ tableId: tbl, kind: 'shared', partition: '' });
  });
});

describe('planLiveQuery', () => {
  test('projection adds pk columns; schema carries pk/nn flags; matches and project work on stored rows', async () => {
    const tbl = await table();
    const plan = e.planLiveQuery(`SELECT title FROM ${tbl} WHERE done = $1 AND title LIKE 'a%'`, [true], alice);
    expect(plan).toMatchObject({ tableId: tbl, kind: 'user', partition: 'alice' });
    expect(plan.schema).toEqual([
      { name: 'title', data_type: 'Text', index: 0 },
      { name: 'id', data_type: 'Int', index: 1, flags: ['pk', 'nn'] },
    ]);
    const row = { id: 7, title: 'abc', done: true, _seq: 42n };
    expect(plan.matches(row)).toBe(true);
    expect(plan.matches({ ...row, done: false })).toBe(false);
    expect(plan.project(row)).toEqual({ title: 'abc', id: 7, _seq: 42n });
    const star = e.planLiveQuery(`SELECT * FROM ${tbl}`, [], bob);
    expect(star.partition).toBe('bob');
    expect(star.schema.map((f) => f.name)).toEqual(['id', 'title', 'done']);
    expect(star.schema[2]).toEqual({ name: 'done', data_type: 'Boolean', index: 2, flags: ['nn'] });
    expect(e.planLiveQuery(`SELECT id, title, done FROM ${tbl}`, [], bob).projectionKey).toBe(star.projectionKey);
    expect(plan.projectionKey).not.toBe(star.projectionKey);
  });

  test.each([
    ['SELECT * FROM app.%T ORDER BY id', 'UNSUPPORTED'],
    ['SELECT * FROM app.%T LIMIT 5', 'UNSUPPORTED'],
    ['SELECT COUNT(*) FROM app.%T', 'UNSUPPORTED'],
    ['SELECT * FROM app.%T a JOIN app.%T b ON a.id = b.id', 'UNSUPPORTED'],
    ['SELECT * FROM system.live_queries', 'UNSUPPORTED'],
    ['SELECT * FROM app.nope', 'NOT_FOUND'],
    ['SELECT nope FROM app.%T', 'INVALID_SQL'],
    ['SELEC * FROM app.%T', 'INVALID_SQL'],
    ['DELETE FROM app.%T', 'INVALID_SQL'],
    ['SELECT * FROM app.%T WHERE id = $1', 'INVALID_ARGUMENT'],
  ])('%s → %s', async (q, code) => {
    const tbl = (await table()).slice(4);
    await expectCode(() => e.planLiveQuery(q.replace(/%T/g, tbl), [], alice), code);
  });
});

describe('snapshots', () => {
  async function fill(tbl: string, count: number, who = alice): Promise<void> {
    const values = Array.from({ length: count }, (_, i) => `(${i + 1}, 't${i + 1}', ${i % 2 === 0})`).join(', ');
    await sql1(e, who, `INSERT INTO ${tbl} (id, title, done) VALUES ${values}`);
  }

  async function pageAll(plan: ReturnType<Engine['planLiveQuery']>, snap: ReturnType<Engine['openSnapshot']>, limit: number, lastRows?: number) {
    const pages: number[][] = [];
    let afterSeq: bigint | undefined;
    for (;;) {
      const page = await snap.scan(plan, { limit, ...(afterSeq !== undefined ? { afterSeq } : {}), ...(lastRows !== undefined ? { lastRows } : {}) });
      pages.push(page.rows.map((r) => r['id'] as number));
      if (!page.hasMore) return pages;
      afterSeq = page.rows[page.rows.length - 1]!['_seq'] as bigint;
    }
  }

  test('pages by _seq ascending with afterSeq/limit; WHERE filters; other partitions invisible', async () => {
    const tbl = await table();
    await fill(tbl, 10);
    await fill(tbl, 3, bob);
    await sql1(e, alice, `UPDATE ${tbl} SET title = 'moved' WHERE id = 2`); // id 2 now has the newest _seq
    const plan = e.planLiveQuery(`SELECT * FROM ${tbl}`, [], alice);
    const snap = e.openSnapshot();
    try {
      expect(snap.seq).toBe(e.currentSeq());
      expect(await pageAll(plan, snap, 4)).toEqual([[1, 3, 4, 5], [6, 7, 8, 9], [10, 2]]);
      expect(await snap.count(plan)).toBe(10);
      const evens = e.planLiveQuery(`SELECT id FROM ${tbl} WHERE done = false`, [], alice);
      expect(await pageAll(evens, snap, 2)).toEqual([[4, 6], [8, 10], [2]]);
      const page = await snap.scan(plan, { limit: 100 });
      const seqs = page.rows.map((r) => r['_seq'] as bigint);
      expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
      expect(page.rows.every((r) => (r['_seq'] as bigint) <= snap.seq)).toBe(true);
    } finally {
      snap.release();
    }
  });

  test('lastRows = the newest N matching rows, still ascending and pageable', async () => {
    const tbl = await table();
    await fill(tbl, 10);
    const plan = e.planLiveQuery(`SELECT * FROM ${tbl} WHERE done = true`, [], alice); // ids 1,3,5,7,9
    const snap = e.openSnapshot();
    try {
      expect(await pageAll(plan, snap, 2, 3)).toEqual([[5, 7], [9]]);
      expect(await pageAll(plan, snap, 10, 3)).toEqual([[5, 7, 9]]);
      expect(await pageAll(plan, snap, 10, 50)).toEqual([[1, 3, 5, 7, 9]]);
      expect(await pageAll(plan, snap, 10, 0)).toEqual([[]]);
      expect(await snap.count(plan, 3)).toBe(3);
    } finally {
      snap.release();
    }
  });

  test('a snapshot does not see later writes (taken synchronously, even while writes are committing)', async () => {
    const tbl = await table();
    await fill(tbl, 5);
    const plan = e.planLiveQuery(`SELECT * FROM ${tbl}`, [], alice);
    const snaps: ReturnType<Engine['openSnapshot']>[] = [];
    const committed: CommittedChange[] = [];
    const off = e.onCommit((c) => committed.push(...c));
    // interleave snapshots with concurrent writers without awaiting between them
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      writes.push(sql1(e, alice, `INSERT INTO ${tbl} (id, title, done) VALUES (${100 + i}, 'w', true)`));
      writes.push(sql1(e, alice, `UPDATE ${tbl} SET title = 'u${i}' WHERE id = ${(i % 5) + 1}`));
      if (i % 3 === 0) writes.push(sql1(e, alice, `DELETE FROM ${tbl} WHERE id = ${100 + i - 1}`));
      snaps.push(e.openSnapshot());
      await Promise.resolve();
    }
    await Promise.all(writes);
    off();
    try {
      for (const snap of snaps) {
        const rows = (await snap.scan(plan, { limit: 10_000 })).rows;
        // the snapshot equals "rows after replaying every committed change with seq <= snap.seq"
        const expected = new Map<number, bigint>();
        const base = await e.readChanges(tbl, 'alice', 0n, snap.seq, 100_000);
        for (const c of base) {
          if (c.newRow) expected.set(c.newRow['id'] as number, c.seq);
          else expected.delete(c.oldRow!['id'] as number);
        }
        expect(new Map(rows.map((r) => [r['id'] as number, r['_seq'] as bigint]))).toEqual(expected);
        expect(snap.seq <= e.currentSeq()).toBe(true);
      }
    } finally {
      for (const s of snaps) s.release();
    }
    expect(committed.length).toBeGreaterThan(40);
  });

  test('a snapshot opened while a batch is committing includes that batch and carries its seq', async () => {
    const before = e.currentSeq();
    const ddl = sql1(e, admin, `CREATE SHARED TABLE app.t${++n} (id INT PRIMARY KEY)`);
    for (let i = 0; i < 20; i++) await Promise.resolve(); // the batch is now in RocksDB's thread pool
    expect(e.currentSeq()).toBe(before);
    const snap = e.openSnapshot();
    try {
      expect(snap.seq > before).toBe(true);
      await ddl;
      expect(snap.seq).toBe(e.currentSeq());
      const plan = e.planLiveQuery(`SELECT * FROM app.t${n}`, [], alice);
      expect(await snap.scan(plan, { limit: 10 })).toEqual({ rows: [], hasMore: false });
    } finally {
      snap.release();
    }
  });

  test('released snapshots refuse scans', async () => {
    const tbl = await table();
    const plan = e.planLiveQuery(`SELECT * FROM ${tbl}`, [], alice);
    const snap = e.openSnapshot();
    snap.release();
    snap.release();
    await expectCode(snap.scan(plan, { limit: 1 }), 'INVALID_ARGUMENT');
  });
});

describe('change log reads and retention', () => {
  test('readChanges pages (afterSeq, uptoSeq] per partition; isRetained rules', async () => {
    const tbl = await table();
    const s0 = e.currentSeq();
    await sql1(e, alice, `INSERT INTO ${tbl} (id, done) VALUES (1, true)`);
    await sql1(e, bob, `INSERT INTO ${tbl} (id, done) VALUES (1, true)`);
    await sql1(e, alice, `UPDATE ${tbl} SET done = false WHERE id = 1`);
    await sql1(e, alice, `DELETE FROM ${tbl} WHERE id = 1`);
    const aliceLog = await e.readChanges(tbl, 'alice', s0, e.currentSeq(), 100);
    expect(aliceLog.map((c) => c.changeType)).toEqual(['insert', 'update', 'delete']);
    expect(aliceLog.every((c) => c.partition === 'alice')).toBe(true);
    expect((await e.readChanges(tbl, 'alice', s0, e.currentSeq(), 2)).length).toBe(2);
    expect(await e.readChanges(tbl, 'alice', aliceLog[0]!.seq, aliceLog[1]!.seq, 100)).toEqual([aliceLog[1]]);
    expect((await e.readChanges(tbl, 'bob', s0, e.currentSeq(), 100)).map((c) => c.changeType)).toEqual(['insert']);
    expect(e.isRetained(tbl, 'alice', s0)).toBe(true);
    expect(e.isRetained(tbl, 'alice', e.currentSeq())).toBe(true);
    expect(e.isRetained(tbl, 'alice', e.currentSeq() + 1n)).toBe(false); // future
    expect(e.isRetained(tbl, 'alice', 12345n)).toBe(false); // before this table existed (other lineage)
    expect(e.isRetained('app.nope', 'alice', s0)).toBe(false);
    await expectCode(e.readChanges('app.nope', 'alice', 0n, 1n, 1), 'NOT_FOUND');
  });

  test('retention by entry count trims the oldest changes and isRetained turns false for them', async () => {
    const r = await tempEngine({ retention: { maxEntries: 5, maxAgeMs: 3_600_000 } });
    try {
      const x = r.engine;
      await x.execute('CREATE NAMESPACE app; CREATE USER TABLE app.t (id INT PRIMARY KEY)', [], admin);
      const start = x.currentSeq();
      const seqs: bigint[] = [];
      for (let i = 1; i <= 8; i++) seqs.push((await sql1(x, alice, `INSERT INTO app.t (id) VALUES (${i})`)).lastSeq!);
      await x.trimChangeLog();
      const log = await x.readChanges('app.t', 'alice', seqs[2]!, x.currentSeq(), 100);
      expect(log.map((c) => c.newRow!['id'])).toEqual([4, 5, 6, 7, 8]);
      expect(x.isRetained('app.t', 'alice', start)).toBe(false);
      expect(x.isRetained('app.t', 'alice', seqs[1]!)).toBe(false); // change #3 (after seqs[1]) is gone
      expect(x.isRetained('app.t', 'alice', seqs[2]!)).toBe(true); // everything after #3 is kept
      expect(x.isRetained('app.t', 'bob', start)).toBe(true); // bob's partition lost nothing
      await expectCode(x.readChanges('app.t', 'alice', start, x.currentSeq(), 100), 'CONFLICT');
      // rows are untouched by retention
      expect((await sql1(x, alice, 'SELECT COUNT(*) FROM app.t')).rows[0]).toEqual({ 'count(*)': 8n });
      // trim marks survive a restart
      const y = await r.reopen();
      expect(y.isRetained('app.t', 'alice', seqs[1]!)).toBe(false);
      expect(y.isRetained('app.t', 'alice', seqs[2]!)).toBe(true);
    } finally {
      await r.cleanup();
    }
  });

  test('retention by age trims everything older than maxAgeMs', async () => {
    const r = await tempEngine({ retention: { maxEntries: 1000, maxAgeMs: 1000 } });
    try {
      const x = r.engine;
      await x.execute('CREATE NAMESPACE app; CREATE USER TABLE app.t (id INT PRIMARY KEY)', [], admin);
      const start = x.currentSeq();
      await sql1(x, alice, 'INSERT INTO app.t (id) VALUES (1), (2)');
      expect(await x.trimChangeLog()).toBe(0);
      expect(x.isRetained('app.t', 'alice', start)).toBe(true);
      await new Promise((res) => setTimeout(res, 1100));
      await x.trimChangeLog(); // (the periodic trim may have run already)
      expect(x.isRetained('app.t', 'alice', start)).toBe(false);
      expect(x.isRetained('app.t', 'alice', x.currentSeq())).toBe(true);
    } finally {
      await r.cleanup();
    }
  });
});
