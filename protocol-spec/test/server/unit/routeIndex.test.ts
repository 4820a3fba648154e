/**
 * Indexed routing == brute force: the subscriptions a change concerns (WHERE true on its old or
 * new row) are exactly those found through the pin index and then checked, in registration order.
 */
import fc from 'fast-check';
import type { KalamDataType, ParamValue, Row } from '@kalam/link/protocol';
import { LiveRegistry } from '../../../server/src/live/registry.js';
import { cellKey } from '../../../server/src/live/routeIndex.js';
import { compileWhere, type RowPredicate } from '../../../server/src/sql/compile.js';
import { parseSql } from '../../../server/src/sql/parse.js';
import { pinHolds, pinOfWhere, wherePin } from '../../../server/src/sql/pins.js';
import type { Expr } from '../../../server/src/sql/ast.js';

interface Conn { id: string; user: string }
interface Sub { tableId: string; kind: 'user' | 'shared'; partition: string; name: string; where: Expr | null; params: readonly ParamValue[]; matches: RowPredicate; routeOrder: number }

const types = new Map<string, KalamDataType>([
  ['id', 'BigInt'], ['n', 'Int'], ['s', 'Text'], ['f', 'Double'], ['b', 'Boolean'], ['j', 'Json'], ['_seq', 'BigInt'],
]);

const intLit = fc.integer({ min: -4, max: 4 }).map(String);
const strLit = fc.constantFrom("''", "'a'", "'ab'", "'b'", "'B'");
const lit: Record<string, fc.Arbitrary<string>> = {
  id: intLit, n: intLit, f: fc.constantFrom('-1.5', '0.5', '1', '2', '-0'), s: strLit, b: fc.constantFrom('TRUE', 'FALSE'), j: strLit,
};
const col = fc.constantFrom('id', 'n', 's', 'f', 'b');
const op = fc.constantFrom('=', '<', '>', '<=', '>=', '<>');

/** A WHERE over the columns and the params it uses ($1 is always an integer, $2 a string). */
const atom: fc.Arbitrary<string> = col.chain((c) =>
  fc.oneof(
    fc.tuple(op, lit[c]!).map(([o, l]) => `${c} ${o} ${l}`),
    fc.tuple(op, lit[c]!).map(([o, l]) => `${l} ${o} ${c}`),
    fc.tuple(lit[c]!, lit[c]!, fc.boolean()).map(([a, b, neg]) => `${c} ${neg ? 'NOT ' : ''}BETWEEN ${a} AND ${b}`),
    fc.tuple(fc.array(fc.oneof(lit[c]!, fc.constant('NULL')), { minLength: 1, maxLength: 3 }), fc.boolean()).map(([ls, neg]) => `${c} ${neg ? 'NOT ' : ''}IN (${ls.join(', ')})`),
    fc.constant(`${c} IS NULL`),
    fc.constant(`${c} = NULL`),
    op.map((o) => (c === 's' ? `${c} ${o} $2` : c === 'b' ? `${c} = TRUE` : `${c} ${o} $1`)),
    fc.constant(c === 'b' ? 'b' : `${c} = ${c}`),
  ),
);
const where: fc.Arbitrary<string> = fc.letrec<{ w: string }>((tie) => ({
  w: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('w'), fc.constantFrom('AND', 'AND', 'OR'), tie('w')).map(([a, o, b]) => `(${a}) ${o} (${b})`),
    tie('w').map((w) => `NOT (${w})`),
  ),
})).w;

const cell: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(fc.bigInt({ min: -5n, max: 5n }), fc.constant(null)),
  n: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(null)),
  f: fc.oneof(fc.constantFrom(-1.5, -0, 0, 0.5, 1, 2, 2.5), fc.constant(null)),
  s: fc.oneof(fc.constantFrom('', 'a', 'ab', 'b', 'B', 'c'), fc.constant(null)),
  b: fc.oneof(fc.boolean(), fc.constant(null)),
};
const row: fc.Arbitrary<Row> = fc.record(cell as Record<string, fc.Arbitrary<never>>).map((r) => ({ ...r, _seq: 1n }) as Row);
const change = fc.tuple(fc.option(row, { nil: null }), fc.option(row, { nil: null })).filter(([a, b]) => a !== null || b !== null);
const params = fc.tuple(fc.integer({ min: -4, max: 4 }), strLit.map((s) => s.slice(1, -1)));

function makeSub(name: string, sql: string, p: readonly ParamValue[]): Sub {
  const stmt = parseSql(`SELECT * FROM app.t WHERE ${sql}`)[0]!;
  if (stmt.type !== 'select') throw new Error('select expected');
  return { tableId: 'app.t', kind: 'shared', partition: '', name, where: stmt.where, params: p, matches: compileWhere(stmt.where, types, p), routeOrder: -1 };
}

describe('indexed routing', () => {
  test('equal cells share a hash key across number/bigint and ±0', () => {
    expect(cellKey(5)).toBe(cellKey(5n));
    expect(cellKey(-0)).toBe(cellKey(0));
    expect(cellKey(1e20)).toBe(cellKey(100000000000000000000n));
    expect(cellKey('5')).not.toBe(cellKey(5));
    expect(cellKey(1.5)).not.toBe(cellKey(1));
  });

  test('property: candidates ⊇ matches, and filtered candidates == brute force in registration order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(where, params), { minLength: 1, maxLength: 25 }),
        fc.array(fc.nat(30), { maxLength: 5 }),
        fc.array(change, { minLength: 1, maxLength: 12 }),
        (defs, removals, changes) => {
          const subs = defs.map(([w, p], i) => makeSub(`s${i}`, w, p));
          const registry = new LiveRegistry<Conn, Sub>({ pin: (s) => wherePin(s.where, types, s.params) });
          for (const s of subs) registry.addRoute(s);
          const removed = new Set(removals.map((r) => subs[r % subs.length]!));
          for (const s of removed) registry.remove(s);
          const live = subs.filter((s) => !removed.has(s));
          for (const [oldRow, newRow] of changes) {
            const concerns = (s: Sub): boolean => (oldRow !== null && s.matches(oldRow)) || (newRow !== null && s.matches(newRow));
            const expected = live.filter(concerns).map((s) => s.name);
            const found = [...(registry.routeChange('shared', '', 'app.t', oldRow, newRow) ?? [])];
            expect(found.filter(concerns).map((s) => s.name)).toEqual(expected);
            expect(new Set(found.map((s) => s.name)).size).toBe(found.length);
            expect(found.every((s) => !removed.has(s))).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  test('pinned subscriptions are not visited by changes outside their pin', () => {
    const registry = new LiveRegistry<Conn, Sub>({ pin: (s) => wherePin(s.where, types, s.params) });
    const subs = Array.from({ length: 100 }, (_, g) => makeSub(`g${g}`, `id >= ${g * 10} AND id < ${g * 10 + 10}`, []));
    const eq = makeSub('eq', "s = 'x' AND n > 1", []);
    const scan = makeSub('scan', 'n <> 3', []);
    for (const s of [...subs, eq, scan]) registry.addRoute(s);
    const names = (o: Row | null, n: Row | null): string[] => [...(registry.routeChange('shared', '', 'app.t', o, n) ?? [])].map((s) => s.name);
    expect(names(null, { id: 55n, s: 'y', n: 1 })).toEqual(['g5', 'scan']);
    // an update moving a row from group 5 to group 7 reaches both (leave + enter)
    expect(names({ id: 55n, s: 'x', n: 1 }, { id: 71n, s: 'y', n: 1 })).toEqual(['g5', 'g7', 'eq', 'scan']);
    registry.remove(subs[5]!);
    expect(names({ id: 55n, s: 'x', n: 1 }, null)).toEqual(['eq', 'scan']);
    expect([...(registry.routesFor('shared', '', 'app.t') ?? [])]).toHaveLength(101);
  });
});

describe('exact pins (plans without a compiled WHERE)', () => {
  const nanParams = fc.tuple(fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constant(Number.NaN)), strLit.map((s) => s.slice(1, -1)));
  const rowWithNaN: fc.Arbitrary<Row> = fc.tuple(row, fc.boolean()).map(([r, nan]) => (nan ? { ...r, f: Number.NaN } : r));

  test('property: a pin marked exact decides every row as the compiled WHERE does', () => {
    let exactSeen = 0;
    fc.assert(
      fc.property(fc.oneof(where, atom, fc.tuple(atom, atom).map(([a, b]) => `${a} AND ${b}`)), nanParams, fc.array(rowWithNaN, { minLength: 1, maxLength: 8 }), (w, p, rows) => {
        const stmt = parseSql(`SELECT * FROM app.t WHERE ${w}`)[0]!;
        if (stmt.type !== 'select') throw new Error('select expected');
        const { pin, exact } = pinOfWhere(stmt.where, types, p);
        expect(pin).toEqual(wherePin(stmt.where, types, p));
        let sub: Sub;
        try {
          sub = makeSub('s', w, p);
        } catch {
          // plans skip compileWhere for exact pins: that must never skip one of its errors
          expect(exact).toBe(false);
          return;
        }
        if (!exact) return;
        exactSeen++;
        for (const r of rows) expect(pinHolds(pin!, r)).toBe(sub.matches(r));
      }),
      { numRuns: 1500 },
    );
    expect(exactSeen).toBeGreaterThan(150); // not vacuous
  });

  test('exact only when the pin is the whole WHERE', () => {
    const exact = (sql: string, p: readonly ParamValue[] = []): boolean => pinOfWhere(makeSub('s', sql, p).where, types, p).exact;
    expect(exact('id > 5')).toBe(true);
    expect(exact('5 < id')).toBe(true);
    expect(exact('id >= 1 AND id < 9 AND id <> 3')).toBe(false);
    expect(exact('id >= 1 AND id < 9')).toBe(true);
    expect(exact('id >= 1 AND n < 9')).toBe(false);
    expect(exact('f >= 0 AND f < 1')).toBe(false); // a NaN cell would pass the intersected range
    expect(exact('id IN (1, 2, NULL)')).toBe(true);
    expect(exact('id = 1 AND n = 2')).toBe(false);
    expect(exact('id > 1 OR id < 0')).toBe(false);
    const pin = pinOfWhere(makeSub('s', 'id BETWEEN 2 AND 4', []).where, types, []).pin!;
    expect([1n, 2n, 4n, 5n].map((id) => pinHolds(pin, { id }))).toEqual([false, true, true, false]);
    expect(pinHolds(pin, { id: null })).toBe(false);
  });
});
