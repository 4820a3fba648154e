/**
 * Key ranges of live-query plans and the RangeIndex over them (shared catch-up): for random
 * WHERE clauses and random rows, every plan whose WHERE accepts a row is among the index's
 * candidates for that row (the index may over-report, never miss).
 */
import type { CellValue, ParamValue, Row } from '@kalam/link/protocol';
import { keyRangeOfPlan } from '../../server/src/engine/live.js';
import type { Engine, LiveQueryPlan } from '../../server/src/engine/index.js';
import { RangeIndex } from '../../server/src/live/rangeIndex.js';
import { admin, sql1, tempEngine } from './helpers.js';

let t: Awaited<ReturnType<typeof tempEngine>>;
let e: Engine;

beforeAll(async () => {
  t = await tempEngine();
  e = t.engine;
  await sql1(e, admin, 'CREATE NAMESPACE app');
  await sql1(e, admin, 'CREATE SHARED TABLE app.k (id BIGINT PRIMARY KEY, n INT, d DOUBLE, s TEXT)');
});
afterAll(() => t.cleanup());

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const plan = (where: string, params: ParamValue[] = []): LiveQueryPlan => e.planLiveQuery(`SELECT * FROM app.k WHERE ${where}`, params, admin);

test('ranges come from the top-level AND chain, flipped, intersected, BETWEEN and IN', () => {
  expect(keyRangeOfPlan(plan('id >= 10 AND id < 20'))).toEqual({ column: 'id', lo: 10n, hi: 20n });
  expect(keyRangeOfPlan(plan('5 < n AND n <= 9 AND n > 7'))).toEqual({ column: 'n', lo: 7, hi: 9 });
  expect(keyRangeOfPlan(plan('s = $1', ['x']))).toEqual({ column: 's', lo: 'x', hi: 'x' });
  expect(keyRangeOfPlan(plan('d BETWEEN 1.5 AND 2'))).toEqual({ column: 'd', lo: 1.5, hi: 2 });
  expect(keyRangeOfPlan(plan('n IN (4, -2, 9)'))).toEqual({ column: 'n', lo: -2, hi: 9 });
  expect(keyRangeOfPlan(plan('id = 1 OR id = 2'))).toBeUndefined();
  expect(keyRangeOfPlan(plan('id <> 3'))).toBeUndefined();
  expect(keyRangeOfPlan(plan('NOT (id > 3)'))).toBeUndefined();
  expect(keyRangeOfPlan(plan('id = NULL'))).toBeUndefined();
});

test('property: every plan a row matches is an index candidate for it', () => {
  const r = rng(0x5eed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const cols = ['id', 'n', 'd', 's'] as const;
  const constant = (col: (typeof cols)[number]): string =>
    col === 's' ? `'${pick(['a', 'b', 'c', 'bb', ''])}'` : col === 'd' ? String(Math.round(r() * 40 - 20) / 4) : String(Math.floor(r() * 40 - 20));
  const cmp = (): string => {
    const col = pick(cols);
    const op = pick(['=', '<>', '<', '<=', '>', '>=']);
    if (r() < 0.15) return `${col} BETWEEN ${constant(col)} AND ${constant(col)}`;
    if (r() < 0.15) return `${col} IN (${constant(col)}, ${constant(col)}, ${constant(col)})`;
    return r() < 0.3 ? `${constant(col)} ${op} ${col}` : `${col} ${op} ${constant(col)}`;
  };
  const where = (depth: number): string => {
    const x = r();
    if (depth > 2 || x < 0.45) return cmp();
    if (x < 0.8) return `${where(depth + 1)} AND ${where(depth + 1)}`;
    if (x < 0.93) return `(${where(depth + 1)} OR ${where(depth + 1)})`;
    return `NOT (${where(depth + 1)})`;
  };
  const plans: LiveQueryPlan[] = [];
  for (let i = 0; i < 300; i++) plans.push(plan(where(0)));
  expect(plans.filter((p) => keyRangeOfPlan(p) !== undefined).length).toBeGreaterThan(100);
  const index = new RangeIndex(plans, keyRangeOfPlan);
  const value = (col: (typeof cols)[number]): CellValue => {
    if (r() < 0.1) return null;
    if (col === 'id') return BigInt(Math.floor(r() * 50 - 25));
    if (col === 'n') return Math.floor(r() * 50 - 25);
    if (col === 'd') return r() < 0.05 ? NaN : Math.round(r() * 200 - 100) / 8;
    return pick(['a', 'b', 'c', 'bb', '', 'ab']);
  };
  let matched = 0;
  for (let i = 0; i < 2000; i++) {
    const row: Row = { id: value('id'), n: value('n'), d: value('d'), s: value('s'), _seq: 1n };
    const candidates = new Set<LiveQueryPlan>();
    index.collect(row, { offer: (p) => candidates.add(p) });
    for (const p of plans) {
      if (!p.matches(row)) continue;
      matched++;
      if (!candidates.has(p)) throw new Error(`index missed a match: ${JSON.stringify(keyRangeOfPlan(p), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))} for ${JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    }
  }
  expect(matched).toBeGreaterThan(1000);
});
