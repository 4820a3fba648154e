/** What snapshot paging and counting read: hasMore stops at the first match after a page, counts are O(1) without WHERE. */
import { join } from 'node:path';
import type { SeqId } from '@kalam/link/protocol';
import { Catalog } from '../../server/src/engine/catalog.js';
import { EngineSnapshot, planLiveQuery } from '../../server/src/engine/live.js';
import type { Engine } from '../../server/src/engine/index.js';
import { openKvStore, type KvSnapshot, type KvStore } from '../../server/src/store/kv.js';
import { nameKey, P, prefixRange } from '../../server/src/store/keys.js';
import { admin, alice, bob, sql1, tempEngine } from './helpers.js';

/** A real RocksDB snapshot that counts the entries range reads hand out. */
function counting(snap: KvSnapshot): { snap: KvSnapshot; reads: () => number } {
  let n = 0;
  return {
    snap: {
      get: (k) => snap.get(k),
      getMany: (ks) => snap.getMany(ks),
      async *range(o) {
        for await (const e of snap.range(o)) {
          n++;
          yield e;
        }
      },
      release: () => snap.release(),
    },
    reads: () => {
      const r = n;
      n = 0;
      return r;
    },
  };
}

async function withStore<T>(dir: string, fn: (kv: KvStore) => Promise<T>): Promise<T> {
  const kv = await openKvStore(join(dir, 'db'));
  try {
    return await fn(kv);
  } finally {
    await kv.close();
  }
}

test('hasMore reads only up to the first matching row after the page, and the next page starts there', async () => {
  const t = await tempEngine();
  try {
    const e = t.engine;
    await e.execute('CREATE NAMESPACE app; CREATE USER TABLE app.t (id INT PRIMARY KEY, hot BOOLEAN)', [], admin);
    const hot = new Set([0, 1, 502]);
    const values = Array.from({ length: 1003 }, (_, i) => `(${i}, ${hot.has(i)})`).join(',');
    await sql1(e, alice, `INSERT INTO app.t VALUES ${values}`);
    const seq = e.currentSeq();
    await e.close();

    await withStore(t.dir, async (kv) => {
      const catalog = await Catalog.load(kv);
      const plan = planLiveQuery(catalog, 'SELECT id FROM app.t WHERE hot = true', [], alice);
      const c = counting(kv.snapshot());
      const snap = new EngineSnapshot(seq, Promise.resolve(c.snap));
      try {
        const p1 = await snap.scan(plan, { limit: 2 });
        expect(p1.rows.map((r) => r['id'])).toEqual([0, 1]);
        expect(p1.hasMore).toBe(true);
        expect(c.reads()).toBe(2 + 500 + 1); // the page, the gap, the one match hasMore needs — not the tail
        const p2 = await snap.scan(plan, { limit: 2, afterSeq: p1.rows[1]!['_seq'] as SeqId });
        expect(p2).toEqual({ rows: [expect.objectContaining({ id: 502 })], hasMore: false });
        expect(c.reads()).toBe(1 + 500); // starts at the remembered match: the gap is not read again
        // another cursor does not use the remembered position
        const again = await snap.scan(plan, { limit: 5, afterSeq: p1.rows[0]!['_seq'] as SeqId });
        expect(again.rows.map((r) => r['id'])).toEqual([1, 502]);
        c.reads();

        // counts: O(1) without WHERE, bounded by lastRows, a scan only for WHERE without lastRows
        const all = planLiveQuery(catalog, 'SELECT * FROM app.t', [], alice);
        expect(await snap.count(all)).toBe(1003);
        expect(c.reads()).toBe(0);
        expect(await snap.countIfCheap(all)).toBe(1003);
        expect(await snap.count(all, 10)).toBe(10);
        expect(c.reads()).toBe(10);
        expect(await snap.countIfCheap(plan)).toBeUndefined();
        expect(c.reads()).toBe(0);
        expect(await snap.count(plan)).toBe(3);
        expect(c.reads()).toBe(1003);
        expect(await snap.countIfCheap(plan, 1)).toBe(1);
        expect(c.reads()).toBe(500 + 1); // newest first: 500 misses, then the match
        // that read is shared with the scan that needs it: the page reads from the cutoff row on
        const last = await snap.scan(plan, { limit: 10, lastRows: 1 });
        expect(last.rows.map((r) => r['id'])).toEqual([502]);
        expect(c.reads()).toBe(1 + 500);
        expect(await snap.count(plan, 10)).toBe(3);
      } finally {
        snap.release();
      }
    });
  } finally {
    await t.cleanup();
  }
});

describe('row counts', () => {
  async function count(e: Engine, sql: string, who = alice, lastRows?: number): Promise<number> {
    const snap = e.openSnapshot();
    try {
      return await snap.count(e.planLiveQuery(sql, [], who), lastRows);
    } finally {
      snap.release();
    }
  }

  test('follow inserts, updates, deletes and drops per partition, and survive restarts', async () => {
    const t = await tempEngine();
    try {
      let e = t.engine;
      await e.execute('CREATE NAMESPACE app; CREATE USER TABLE app.t (id INT PRIMARY KEY, v TEXT)', [], admin);
      await e.createUser('bob', 'pw', 'user');
      await sql1(e, alice, "INSERT INTO app.t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
      await sql1(e, bob, "INSERT INTO app.t VALUES (1, 'a')");
      await sql1(e, alice, "UPDATE app.t SET v = 'x'");
      await sql1(e, alice, 'DELETE FROM app.t WHERE id = 2');
      // a failed statement changes nothing
      await expect(sql1(e, alice, "INSERT INTO app.t VALUES (4, 'd'), (1, 'dup')")).rejects.toMatchObject({ code: 'CONFLICT' });
      const snap = e.openSnapshot();
      await sql1(e, alice, "INSERT INTO app.t VALUES (5, 'e')");
      expect(await snap.count(e.planLiveQuery('SELECT * FROM app.t', [], alice))).toBe(2); // the snapshot's own count
      snap.release();
      expect(await count(e, 'SELECT * FROM app.t')).toBe(3);
      expect(await count(e, 'SELECT * FROM app.t', bob)).toBe(1);
      expect(await count(e, "SELECT * FROM app.t WHERE v = 'x'")).toBe(2);

      e = await t.reopen();
      expect(await count(e, 'SELECT * FROM app.t')).toBe(3);
      await sql1(e, admin, 'DROP USER bob');
      expect(await count(e, 'SELECT * FROM app.t', bob)).toBe(0);
      await sql1(e, admin, 'DROP TABLE app.t');
      await sql1(e, admin, 'CREATE USER TABLE app.t (id INT PRIMARY KEY, v TEXT)');
      expect(await count(e, 'SELECT * FROM app.t')).toBe(0);
      await sql1(e, alice, "INSERT INTO app.t VALUES (7, 'z')");

      // a data dir from before row counts existed gets them built on open
      await e.close();
      await withStore(t.dir, async (kv) => {
        await kv.batch([
          { type: 'delRange', ...prefixRange(Buffer.of(P.rowCount)) },
          { type: 'del', key: nameKey(P.meta, 'rowcounts') },
        ]);
      });
      e = await t.reopen();
      expect(await count(e, 'SELECT * FROM app.t')).toBe(1);
      await sql1(e, alice, "INSERT INTO app.t VALUES (8, 'y')");
      expect(await count(e, 'SELECT * FROM app.t')).toBe(2);
    } finally {
      await t.cleanup();
    }
  });
});
