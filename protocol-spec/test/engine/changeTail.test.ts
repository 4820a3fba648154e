/**
 * The in-memory change-log tail answers readChanges (and the per-plan readChangesFor) exactly as
 * RocksDB does: random writes
 * (inserts, updates, deletes in shared and user partitions, user drops, retention trims) under
 * small random tail bounds, then random ranges read both ways on the same engine.
 */
import fc from 'fast-check';
import type { CommittedChange, Engine } from '../../server/src/engine/index.js';
import { ChangeTail, decodeChange } from '../../server/src/engine/changeTail.js';
import { detachedRow, jsonExactRow } from '../../server/src/engine/changelog.js';
import { rowJson, type TableMeta } from '../../server/src/engine/catalog.js';
import type { Row } from '@kalam/link/protocol';
import { admin, alice, bob, sql1, tempEngine } from './helpers.js';

type Op =
  | { kind: 'insert'; who: 0 | 1 | 2; shared: boolean; id: number; v: string | null; d: number }
  | { kind: 'update'; who: 0 | 1 | 2; shared: boolean; id: number; v: string | null }
  | { kind: 'delete'; who: 0 | 1 | 2; shared: boolean; id: number }
  | { kind: 'dropBob' };

const principals = [alice, bob, admin] as const;

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('insert' as const), who: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, shared: fc.boolean(), id: fc.integer({ min: 1, max: 8 }), v: fc.option(fc.string({ maxLength: 12 })), d: fc.double({ noNaN: true, noDefaultInfinity: true }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('update' as const), who: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, shared: fc.boolean(), id: fc.integer({ min: 1, max: 8 }), v: fc.option(fc.string({ maxLength: 12 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), who: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, shared: fc.boolean(), id: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'dropBob' as const }) },
);

async function apply(e: Engine, o: Op, tables: { shared: string; user: string }): Promise<void> {
  if (o.kind === 'dropBob') {
    await sql1(e, admin, 'DROP USER bob');
    await e.createUser('bob', 'pw-bob', 'user');
    return;
  }
  // shared tables are written by the dba only; user tables by their owner
  const who = o.shared ? admin : principals[o.who];
  const table = o.shared ? tables.shared : tables.user;
  try {
    if (o.kind === 'insert') await e.execute(`INSERT INTO ${table} (id, v, d) VALUES ($1, $2, $3)`, [o.id, o.v, o.d], who);
    else if (o.kind === 'update') await e.execute(`UPDATE ${table} SET v = $1 WHERE id = $2`, [o.v, o.id], who);
    else await e.execute(`DELETE FROM ${table} WHERE id = $1`, [o.id], who);
  } catch (err) {
    if ((err as { code?: string }).code !== 'CONFLICT') throw err; // duplicate pk: nothing committed
  }
}

async function outcome<T>(p: Promise<T>): Promise<T | string> {
  try {
    return await p;
  } catch (err) {
    return `error ${(err as { code?: string }).code}`;
  }
}

let n = 0;

/** Engines with different tail bounds (opened once; each run uses fresh tables). */
const configs = [
  { changeTail: { maxEntries: 0 }, retention: { maxEntries: 40 } },
  { changeTail: { maxEntries: 5 }, retention: { maxEntries: 200 } },
  { changeTail: { maxEntries: 30, maxBytes: 3000 }, retention: { maxEntries: 60 } },
  { changeTail: { maxEntries: 1000 }, retention: { maxEntries: 25 } },
];
let engines: Awaited<ReturnType<typeof tempEngine>>[] = [];

beforeAll(async () => {
  engines = await Promise.all(configs.map((c) => tempEngine(c)));
  for (const t of engines) {
    await sql1(t.engine, admin, 'CREATE NAMESPACE app');
    await t.engine.createUser('alice', 'pw-alice', 'user');
    await t.engine.createUser('bob', 'pw-bob', 'user');
  }
});
afterAll(async () => {
  for (const t of engines) await t.cleanup();
});

test('readChanges and readChangesFor from the in-memory tail equal reads from RocksDB (property)', async () => {
  let tailHits = 0;
  let storeOnly = false; // true: the tail answers nothing, every read goes to RocksDB
  const realScan = ChangeTail.prototype.scan;
  const spy = jest.spyOn(ChangeTail.prototype, 'scan').mockImplementation(function (this: ChangeTail, ...args) {
    if (storeOnly) return undefined;
    const r = realScan.apply(this, args);
    if (r !== undefined) tailHits++;
    return r;
  });
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: configs.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 12 }), fc.constantFrom('', 'alice', 'bob')), { minLength: 1, maxLength: 25 }),
        async (ops, which, reads) => {
          const e = engines[which]!.engine;
          const tables = { shared: `app.s${++n}`, user: `app.u${n}` };
          await sql1(e, admin, `CREATE SHARED TABLE ${tables.shared} (id INT PRIMARY KEY, v TEXT, d DOUBLE, big BIGINT)`);
          await sql1(e, admin, `CREATE USER TABLE ${tables.user} (id INT PRIMARY KEY, v TEXT, d DOUBLE, big BIGINT)`);
          const seqs: bigint[] = [0n, e.currentSeq()];
          for (const o of ops) {
            await apply(e, o, tables);
            seqs.push(e.currentSeq());
          }
          await e.trimChangeLog();
          const head = e.currentSeq();
          for (const [a, b, limit, partition] of reads) {
            const after = seqs[a % seqs.length]!;
            const upto = b % 3 === 0 ? head : seqs[b % seqs.length]!;
            const table = partition === '' ? tables.shared : tables.user;
            const fromTail = await outcome(e.readChanges(table, partition, after, upto, limit));
            const plan = e.planLiveQuery(`SELECT * FROM ${table} WHERE id > $1`, [a % 5], partition === 'bob' ? bob : alice);
            const keptFromTail = await outcome(e.readChangesFor!(plan, after, upto, limit));
            storeOnly = true;
            const fromStore = await outcome(e.readChanges(table, partition, after, upto, limit));
            const keptFromStore = await outcome(e.readChangesFor!(plan, after, upto, limit));
            storeOnly = false;
            expect(fromTail).toEqual(fromStore);
            // the filtered read = the plain read filtered by the plan, continuing after what it examined
            const expected =
              typeof fromStore === 'string'
                ? fromStore
                : {
                    changes: fromStore.filter((c) => (c.newRow !== null && plan.matches(c.newRow)) || (c.oldRow !== null && plan.matches(c.oldRow))),
                    scannedTo: fromStore.length < limit ? (upto > after ? upto : after) : fromStore[fromStore.length - 1]!.seq,
                  };
            expect(keptFromTail).toEqual(expected);
            expect(keptFromStore).toEqual(expected);
          }
        },
      ),
      { numRuns: 40 },
    );
  } finally {
    spy.mockRestore();
  }
  expect(tailHits).toBeGreaterThan(0);
});

describe('ChangeTail bounds', () => {
  const table = { tid: 1, tableId: 'app.x', kind: 'shared', types: new Map() } as unknown as Parameters<ChangeTail['read']>[0];
  const entry = (seq: bigint) => ({ seq, text: JSON.stringify({ k: 'insert', o: null, n: { id: Number(seq) } }) });

  test('evicts the oldest entries past maxEntries and then answers only ranges it still holds whole', async () => {
    const tail = new ChangeTail(10n, { maxEntries: 3 });
    expect(tail.read(table, '', 10n, 20n, 10)).toEqual([]); // nothing committed after 10 yet
    expect(tail.read(table, '', 9n, 20n, 10)).toBeUndefined(); // before the tail began
    tail.append(1, '', [11n, 12n, 13n, 14n].map(entry));
    expect(tail.size).toBe(3);
    expect(tail.read(table, '', 10n, 20n, 10)).toBeUndefined(); // 11 was evicted
    expect(tail.read(table, '', 11n, 20n, 10)?.map((c) => c.seq)).toEqual([12n, 13n, 14n]);
    expect(tail.read(table, '', 12n, 13n, 10)?.map((c) => c.seq)).toEqual([13n]);
    expect(tail.read(table, '', 11n, 20n, 2)?.map((c) => c.seq)).toEqual([12n, 13n]);
    // another partition's appends push this one's oldest out
    tail.append(1, 'alice', [15n, 16n].map(entry));
    expect(tail.read(table, '', 11n, 20n, 10)).toBeUndefined();
    expect(tail.read(table, '', 13n, 20n, 10)?.map((c) => c.seq)).toEqual([14n]);
    // a partition never written since the tail began is complete (empty)
    expect(tail.read(table, 'bob', 10n, 20n, 10)).toEqual([]);
  });

  test('decoded entries count against maxBytes; a decoded entry is shared by later reads', () => {
    const one = entry(11n).text.length;
    const tail = new ChangeTail(10n, { maxBytes: 10 * (one + 200) });
    tail.append(1, '', [11n, 12n, 13n].map(entry));
    const before = tail.bytes;
    const first = tail.read(table, '', 10n, 20n, 10)!;
    expect(tail.bytes).toBeGreaterThan(before);
    expect(tail.read(table, '', 10n, 20n, 10)![0]).toBe(first[0]);
    expect(first.map((c) => c.newRow)).toEqual([{ id: 11 }, { id: 12 }, { id: 13 }]);
    expect(tail.bytes).toBeLessThanOrEqual(10 * (one + 200));
  });

  test('forgetting a partition or table drops its entries and moves its floor past them', () => {
    const tail = new ChangeTail(10n, {});
    tail.append(1, '', [11n, 12n].map(entry));
    tail.append(2, '', [13n].map(entry));
    tail.forgetPartition(1, '', 12n);
    expect(tail.size).toBe(1);
    expect(tail.read(table, '', 11n, 20n, 10)).toBeUndefined();
    expect(tail.read(table, '', 12n, 20n, 10)).toEqual([]);
    tail.forgetTable(2);
    expect(tail.size).toBe(0);
    expect(tail.bytes).toBe(0);
    tail.append(1, '', [14n].map(entry));
    expect(tail.read(table, '', 12n, 20n, 10)?.map((c) => c.seq)).toEqual([14n]);
  });
});

describe('changes kept decoded at append', () => {
  const table = {
    tid: 7,
    tableId: 'app.t',
    kind: 'user',
    types: new Map([
      ['id', 'BigInt'],
      ['n', 'Int'],
      ['d', 'Double'],
      ['s', 'Text'],
      ['b', 'Boolean'],
      ['j', 'Json'],
      ['_seq', 'BigInt'],
    ]),
  } as unknown as TableMeta;
  const cell = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(-0, NaN, Infinity, -Infinity),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.constantFrom('12', '-3'),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
    fc.constant(undefined),
  );
  const anyRow = fc.dictionary(fc.constantFrom('id', 'n', 'd', 's', 'b', 'j', '_seq', 'extra', '__proto__'), cell, { maxKeys: 7 }) as fc.Arbitrary<Row>;
  /** Rows as the engine stores them (each column its type, −0 and NaN included). */
  const typedRow = fc.record(
    {
      id: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
      n: fc.option(fc.integer()),
      d: fc.option(fc.double()),
      s: fc.option(fc.string({ unit: 'binary', maxLength: 8 })),
      b: fc.option(fc.boolean()),
      _seq: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    },
    { requiredKeys: ['id', '_seq'] },
  ) as fc.Arbitrary<Row>;
  const row = fc.oneof(typedRow, anyRow);

  test('a row accepted as exact is what its log text decodes to, value for value (property)', () => {
    let exact = 0;
    fc.assert(
      fc.property(row, fc.option(row), (n, o) => {
        const accepted = jsonExactRow(table, n) && (o === null || jsonExactRow(table, o));
        if (!accepted) return;
        exact++;
        const text = rowJson({ k: o === null ? 'insert' : 'update', o, n } as unknown as Row);
        const kept = { seq: 5n, tableId: table.tableId, kind: table.kind, partition: 'alice', changeType: o === null ? 'insert' : 'update', oldRow: o, newRow: n };
        // toStrictEqual tells -0 from 0, bigint from string and a missing key from an undefined one
        expect(kept).toStrictEqual(decodeChange(table, 'alice', 5n, text));
      }),
      { numRuns: 1500 },
    );
    expect(exact).toBeGreaterThan(100);
  });

  test('rows with long strings are exact too; the tail holds them through detachedRow', () => {
    expect(jsonExactRow(table, { id: 1n, s: 'x'.repeat(12) })).toBe(true);
    expect(jsonExactRow(table, { id: 1n, s: 'x'.repeat(13) })).toBe(true);
    const short = { id: 1n, s: 'x'.repeat(12) };
    expect(detachedRow(short)).toBe(short);
    const long = { id: 2n, s: 'y'.repeat(13), n: null, t: 'z' };
    const copy = detachedRow(long);
    expect(copy).not.toBe(long);
    expect(copy).toStrictEqual(long);
    expect(Object.keys(copy)).toEqual(Object.keys(long));
  });

  test('a kept change is returned as is and accounted as a decoded entry', () => {
    const change = { seq: 11n, tableId: table.tableId, kind: table.kind, partition: '', changeType: 'insert' as const, oldRow: null, newRow: { id: 1n } };
    const text = rowJson({ k: 'insert', o: null, n: { id: 1n } } as unknown as Row);
    const kept = new ChangeTail(10n, {});
    kept.append(7, '', [{ seq: 11n, text, change }]);
    const lazy = new ChangeTail(10n, {});
    lazy.append(7, '', [{ seq: 11n, text }]);
    expect(kept.read(table, '', 10n, 20n, 10)![0]).toBe(change);
    expect(lazy.read(table, '', 10n, 20n, 10)![0]).toStrictEqual(change);
    expect(kept.bytes).toBe(lazy.bytes);
  });
});
