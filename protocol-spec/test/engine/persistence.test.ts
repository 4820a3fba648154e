/** Restart persistence (schemas, users, rows, log, seq marks) and SeqId monotonicity. */
import { makeSeqId, seqIdSequence, seqIdTimestampMs, seqIdWorker } from '@kalam/link/protocol';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog } from '../../server/src/engine/catalog.js';
import { ChangeLog } from '../../server/src/engine/changelog.js';
import { Core, loadSeqMarks } from '../../server/src/engine/core.js';
import { openEngine } from '../../server/src/engine/index.js';
import { RowCounts } from '../../server/src/engine/rowcount.js';
import { Users } from '../../server/src/engine/users.js';
import { SeqGenerator } from '../../server/src/seq.js';
import { openKvStore, type KvStore } from '../../server/src/store/kv.js';
import { admin, alice, sql1, tempEngine } from './helpers.js';

describe('SeqGenerator', () => {
  test('uses the clock, counts within a millisecond, and keeps the worker id', () => {
    let now = 1_800_000_000_000;
    const g = new SeqGenerator({ workerId: 7, now: () => now });
    const a = g.next();
    const b = g.next();
    expect(a).toBe(makeSeqId(now, 7, 0));
    expect(b).toBe(a + 1n);
    now += 5;
    const c = g.next();
    expect(c).toBe(makeSeqId(now, 7, 0));
    expect(seqIdWorker(c)).toBe(7);
  });

  test('stays strictly increasing across clock regressions and sequence exhaustion', () => {
    let now = 1_800_000_000_000;
    const g = new SeqGenerator({ workerId: 3, now: () => now });
    let last = g.next();
    now -= 10_000; // clock jumps back 10 s
    for (let i = 0; i < 10_000; i++) {
      const s = g.next();
      expect(s > last).toBe(true);
      expect(seqIdWorker(s)).toBe(3);
      last = s;
    }
    // 10,000 ids while the clock was behind: borrowed ms beyond the original timestamp
    expect(seqIdTimestampMs(last)).toBe(1_800_000_000_000 + 2);
    expect(seqIdSequence(last)).toBe(10_000 - 2 * 4096);
  });

  test('starts above a persisted high-water mark even when the clock is behind it', () => {
    const hw = makeSeqId(1_900_000_000_000, 0, 17);
    const g = new SeqGenerator({ after: hw, now: () => 1_800_000_000_000 });
    expect(g.next()).toBe(hw + 1n);
  });
});

describe('restart', () => {
  test('schemas, users, rows, change log and seq survive; new seqs stay above old ones', async () => {
    const t = await tempEngine();
    try {
      let e = t.engine;
      await e.execute(
        `CREATE NAMESPACE app;
         CREATE USER TABLE app.todos (id BIGINT PRIMARY KEY, title TEXT NOT NULL, meta JSON);
         CREATE SHARED TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT)`,
        [],
        admin,
      );
      await e.createUser('alice', 'pw', 'user');
      await sql1(e, alice, "INSERT INTO app.todos VALUES (9223372036854775807, 'big', '{\"a\":[1]}'), (1, 'one', NULL)");
      await sql1(e, alice, "UPDATE app.todos SET title = 'uno' WHERE id = 1");
      await sql1(e, admin, "INSERT INTO app.cfg VALUES ('k', 'v')");
      const seqBefore = e.currentSeq();
      const rowsBefore = (await sql1(e, alice, 'SELECT id, title, meta, _seq FROM app.todos')).rows;
      const kv = e.kv('rt:test');
      await kv.put('x', 'y');

      e = await t.reopen();
      expect(e.currentSeq()).toBe(seqBefore);
      expect(e.getTable('app.todos')).toMatchObject({ kind: 'user', primaryKey: ['id'] });
      expect(e.getUser('alice')).toEqual({ name: 'alice', role: 'user', enabled: true, createdAt: expect.any(Number) });
      expect(await e.verifyPassword('alice', 'pw')).toEqual({ user: 'alice', role: 'user' });
      expect((await sql1(e, alice, 'SELECT id, title, meta, _seq FROM app.todos')).rows).toEqual(rowsBefore);
      expect((await sql1(e, alice, 'SELECT * FROM app.cfg')).rows).toEqual([{ k: 'k', v: 'v' }]);
      expect((await e.kv('rt:test').get('x'))?.toString()).toBe('y');
      const log = await e.readChanges('app.todos', 'alice', 0n, seqBefore, 100);
      expect(log.map((c) => c.changeType)).toEqual(['insert', 'insert', 'update']);
      expect(log[0]!.newRow).toEqual({ id: 9223372036854775807n, title: 'big', meta: { a: [1] }, _seq: log[0]!.seq });
      expect(e.isRetained('app.todos', 'alice', log[0]!.seq)).toBe(true);
      expect(e.isRetained('app.todos', 'alice', seqBefore + 1n)).toBe(false);

      // snapshots after restart page through the persisted _seq index
      const plan = e.planLiveQuery('SELECT title FROM app.todos', [], alice);
      const snap = e.openSnapshot();
      const page = await snap.scan(plan, { limit: 10 });
      snap.release();
      expect(page.rows.map((r) => r['title'])).toEqual(['big', 'uno']);

      // new writes continue above every old seq, and duplicate keys are still detected
      const r = await sql1(e, alice, "INSERT INTO app.todos (id, title) VALUES (2, 'two')");
      expect(r.lastSeq! > seqBefore).toBe(true);
      await expect(sql1(e, alice, "INSERT INTO app.todos (id, title) VALUES (1, 'dup')")).rejects.toMatchObject({ code: 'CONFLICT' });

      // a table re-created after a restart keeps its own identity
      await sql1(e, admin, 'DROP TABLE app.cfg');
      e = await t.reopen();
      expect(e.getTable('app.cfg')).toBeUndefined();
      await sql1(e, admin, 'CREATE SHARED TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT)');
      expect((await sql1(e, admin, 'SELECT * FROM app.cfg')).rows).toEqual([]);
      expect(e.isRetained('app.cfg', '', seqBefore)).toBe(false);
    } finally {
      await t.cleanup();
    }
  });
});

describe('a snapshot taken during a failed write', () => {
  /** A core over a real store whose clock runs an hour ahead, so its ids are far above what a restarted clock issues. */
  async function aheadCore(kv: KvStore): Promise<Core> {
    const [catalog, users, log, marks, rowCounts] = await Promise.all([Catalog.load(kv), Users.load(kv), ChangeLog.load(kv), loadSeqMarks(kv), RowCounts.load(kv)]);
    const ahead = new SeqGenerator({ after: marks.hw, now: () => Date.now() + 3_600_000 });
    return new Core(kv, catalog, users, log, rowCounts, ahead, marks.current, { maxEntries: 1000, maxAgeMs: 3_600_000 });
  }

  async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'kalam-engine-'));
    try {
      await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test("a batch that fails once: the snapshot keeps the failed batch's seq, which is never re-issued after a restart", () =>
    withDir(async (dir) => {
      const real = await openKvStore(join(dir, 'db'));
      let failNext = false;
      // Unit-level fault injection: the real store, with one batch refused (as a transient I/O error would).
      const kv: KvStore = Object.assign(Object.create(real) as KvStore, {
        batch: (writes: Parameters<KvStore['batch']>[0]) => {
          if (!failNext) return real.batch(writes);
          failNext = false;
          return Promise.reject(new Error('injected write failure'));
        },
      });
      const core = await aheadCore(kv);
      failNext = true;
      const before = core.currentSeq;
      const seq = core.seq.next();
      const failing = core.write([], seq);
      const snap = core.snapshotAt();
      expect(snap.seq).toBe(seq);
      await expect(failing).rejects.toThrow('injected write failure');
      (await snap.snapshot).release();
      expect(core.currentSeq).toBe(before);
      await real.close();

      const e = await openEngine({ dataDir: dir });
      try {
        await e.execute('CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY)', [], admin);
        const r = await sql1(e, admin, 'INSERT INTO app.t VALUES (1)');
        expect(r.lastSeq! > seq).toBe(true);
      } finally {
        await e.close();
      }
    }));

  test('when the seq cannot be made safe (RocksDB refuses every write after a failed batch), the snapshot fails instead', () =>
    withDir(async (dir) => {
      const kv = await openKvStore(join(dir, 'db'));
      try {
        const core = await aheadCore(kv);
        const seq = core.seq.next();
        // a reversed range delete makes RocksDB refuse the batch, and rocksdb-native every write after it until reopened
        const failing = core.write([{ type: 'delRange', gte: Buffer.from('z'), lt: Buffer.from('a') }], seq);
        const snap = core.snapshotAt();
        await expect(failing).rejects.toThrow();
        await expect(snap.snapshot).rejects.toMatchObject({ code: 'INTERNAL' });
      } finally {
        await kv.close();
      }
    }));
});
