/**
 * The INSERT duplicate-key check with primary-key filters gives exactly the answers of the plain
 * RocksDB read: random inserts (incl. duplicates within a statement and concurrent ones),
 * updates, deletes, user drops, DROP/CREATE TABLE and reopens, run once with the filters and once
 * with every key sent to the read, must accept/reject the same statements and store the same rows.
 */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../../server/src/engine/index.js';
import { BUILD_LIMIT, PkFilters } from '../../server/src/engine/pkFilter.js';
import { P, partitionPrefix } from '../../server/src/store/keys.js';
import { openKvStore } from '../../server/src/store/kv.js';
import { admin, alice, bob, expectCode, sql1, tempEngine } from './helpers.js';

type Op =
  | { kind: 'insert'; who: 0 | 1 | 2; shared: boolean; ids: number[] }
  | { kind: 'concurrent'; who: 0 | 1 | 2; shared: boolean; a: number; b: number }
  | { kind: 'update'; who: 0 | 1 | 2; shared: boolean; id: number; to: number }
  | { kind: 'delete'; who: 0 | 1 | 2; shared: boolean; below: number }
  | { kind: 'dropBob' }
  | { kind: 'recreate'; shared: boolean }
  | { kind: 'reopen' };

const principals = [alice, bob, admin] as const;
const who = fc.constantFrom<0 | 1 | 2>(0, 1, 2);
const id = fc.integer({ min: 0, max: 4 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('insert' as const), who, shared: fc.boolean(), ids: fc.array(id, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('concurrent' as const), who, shared: fc.boolean(), a: id, b: id }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('update' as const), who, shared: fc.boolean(), id, to: id }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), who, shared: fc.boolean(), below: id }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'dropBob' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recreate' as const), shared: fc.boolean() }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    const r = (await p) as { rowCount: number };
    return `ok ${r.rowCount}`;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

const DDL = { shared: 'CREATE SHARED TABLE app.s (id INT PRIMARY KEY, v INT)', user: 'CREATE USER TABLE app.u (id INT PRIMARY KEY, v INT)' };

/** Run `ops` on a fresh data dir; returns every statement's outcome and the final rows. */
async function run(ops: readonly Op[]): Promise<string[]> {
  const t = await tempEngine();
  let e: Engine = t.engine;
  const out: string[] = [];
  const table = (shared: boolean) => (shared ? 'app.s' : 'app.u');
  try {
    await e.execute(`CREATE NAMESPACE app; ${DDL.shared}; ${DDL.user}`, [], admin);
    await e.createUser('bob', 'pw-bob-123', 'user');
    let v = 0;
    for (const o of ops) {
      switch (o.kind) {
        case 'insert':
          out.push(await outcome(sql1(e, principals[o.who], `INSERT INTO ${table(o.shared)} (id, v) VALUES ${o.ids.map((i) => `(${i}, ${++v})`).join(', ')}`)));
          break;
        case 'concurrent': {
          const q = `INSERT INTO ${table(o.shared)} (id, v) VALUES ($1, $2)`;
          const [a, b] = await Promise.all([outcome(sql1(e, principals[o.who], q, [o.a, ++v])), outcome(sql1(e, principals[o.who], q, [o.b, ++v]))]);
          out.push(`${a} | ${b}`);
          break;
        }
        case 'update':
          out.push(await outcome(sql1(e, principals[o.who], `UPDATE ${table(o.shared)} SET id = ${o.to}, v = ${++v} WHERE id = ${o.id}`)));
          out.push(await outcome(sql1(e, principals[o.who], `UPDATE ${table(o.shared)} SET v = ${++v} WHERE id = ${o.id}`)));
          break;
        case 'delete':
          out.push(await outcome(sql1(e, principals[o.who], `DELETE FROM ${table(o.shared)} WHERE id < ${o.below}`)));
          break;
        case 'dropBob':
          out.push(await outcome(sql1(e, admin, 'DROP USER IF EXISTS bob')));
          await e.createUser('bob', 'pw-bob-123', 'user');
          break;
        case 'recreate':
          out.push(await outcome(e.execute(`DROP TABLE ${table(o.shared)}; ${o.shared ? DDL.shared : DDL.user}`, [], admin).then(() => ({ rowCount: 0 }))));
          break;
        case 'reopen':
          e = await t.reopen();
          break;
      }
    }
    for (const p of principals) {
      for (const shared of [true, false]) {
        const r = await sql1(e, p, `SELECT id, v FROM ${table(shared)} ORDER BY id`);
        out.push(`${p.user} ${table(shared)}: ${JSON.stringify(r.rows)}`);
      }
    }
    return out;
  } finally {
    await t.cleanup();
  }
}

describe('primary-key filters', () => {
  test('random statement sequences: same accepts, rejects and rows as the plain read, across reopens', async () => {
    const realUnsure = PkFilters.prototype.unsure;
    let plain = false;
    let skipped = 0;
    const spy = jest.spyOn(PkFilters.prototype, 'unsure').mockImplementation(async function (this: PkFilters, tid, partition, keys) {
      if (plain) return keys.map((_k, i) => i);
      const r = await realUnsure.call(this, tid, partition, keys);
      skipped += keys.length - r.length;
      return r;
    });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
          plain = false;
          const filtered = await run(ops);
          plain = true;
          const read = await run(ops);
          expect(filtered).toEqual(read);
        }),
        { numRuns: 30 },
      );
    } finally {
      spy.mockRestore();
    }
    // the property exercised the fast path, not only the fallback
    expect(skipped).toBeGreaterThan(0);
  }, 60_000);

  test('duplicates are rejected after a reopen, accepted again after a delete, and a re-created table starts empty', async () => {
    const t = await tempEngine();
    try {
      await t.engine.execute(`CREATE NAMESPACE app; ${DDL.shared}`, [], admin);
      await sql1(t.engine, admin, 'INSERT INTO app.s (id, v) VALUES (1, 1), (2, 2)');
      await expectCode(sql1(t.engine, admin, 'INSERT INTO app.s (id, v) VALUES (2, 3)'), 'CONFLICT');
      const e = await t.reopen();
      await expectCode(sql1(e, admin, 'INSERT INTO app.s (id, v) VALUES (1, 3)'), 'CONFLICT');
      await sql1(e, admin, 'DELETE FROM app.s WHERE id = 1');
      expect((await sql1(e, admin, 'INSERT INTO app.s (id, v) VALUES (1, 4)')).rowCount).toBe(1);
      await expectCode(sql1(e, admin, 'INSERT INTO app.s (id, v) VALUES (3, 5), (1, 6)'), 'CONFLICT');
      await e.execute(`DROP TABLE app.s; ${DDL.shared}`, [], admin);
      expect((await sql1(e, admin, 'INSERT INTO app.s (id, v) VALUES (1, 7), (2, 8)')).rowCount).toBe(2);
      expect((await sql1(e, admin, 'SELECT id, v FROM app.s ORDER BY id')).rows).toEqual([
        { id: 1, v: 7 },
        { id: 2, v: 8 },
      ]);
    } finally {
      await t.cleanup();
    }
  });
});

describe('PkFilters over a real store', () => {
  const key = (n: number) => Buffer.from([0x80, n]);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalam-pkfilter-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('builds from the stored keys of the partition only, then answers from memory', async () => {
    const kv = await openKvStore(dir);
    try {
      const row = (tid: number, partition: string, n: number) => ({ type: 'put' as const, key: Buffer.concat([partitionPrefix(P.row, tid, partition), key(n)]), value: Buffer.from('{}') });
      await kv.batch([row(1, '', 1), row(1, '', 2), row(1, 'alice', 3), row(2, '', 4)]);
      const f = new PkFilters(kv);
      expect(await f.unsure(1, '', [key(1), key(2)])).toEqual([0, 1]);
      // keys stored elsewhere (another partition or table) are certainly absent here
      const others = await f.unsure(1, '', [key(3), key(4), key(5)]);
      expect(others.length).toBeLessThan(3);
      f.add(1, '', [key(5)]);
      expect(await f.unsure(1, '', [key(5)])).toEqual([0]);
      f.forget(1);
      await kv.batch([row(1, '', 6)]);
      expect(await f.unsure(1, '', [key(6)])).toEqual([0]);
    } finally {
      await kv.close();
    }
  });

  test('a partition above the build limit is not filtered: every key is read', async () => {
    const kv = await openKvStore(dir);
    try {
      const prefix = partitionPrefix(P.row, 1, '');
      const writes = [];
      for (let i = 0; i <= BUILD_LIMIT; i++) {
        const k = Buffer.alloc(4);
        k.writeUInt32BE(i);
        writes.push({ type: 'put' as const, key: Buffer.concat([prefix, k]), value: Buffer.alloc(0) });
      }
      await kv.batch(writes);
      const f = new PkFilters(kv);
      expect(await f.unsure(1, '', [key(1), key(2)])).toEqual([0, 1]);
    } finally {
      await kv.close();
    }
  });
});
