/** Live-query plans are cached, re-validated against the catalog, and never shared where they differ. */
import type { Engine } from '../../server/src/engine/index.js';
import { admin, alice, bob, expectCode, sql1, tempEngine } from './helpers.js';

let t: Awaited<ReturnType<typeof tempEngine>>;
let e: Engine;

beforeAll(async () => {
  t = await tempEngine();
  e = t.engine;
  await sql1(e, admin, 'CREATE NAMESPACE app');
  await sql1(e, admin, 'CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT)');
  await sql1(e, admin, 'CREATE SHARED TABLE app.feed (id INT PRIMARY KEY, body TEXT)');
});
afterAll(() => t.cleanup());

describe('plan cache', () => {
  test('the same query, params and principal get the same plan; any difference gets its own', () => {
    const sql = 'SELECT * FROM app.notes WHERE id > $1';
    const p = e.planLiveQuery(sql, [1], alice);
    expect(e.planLiveQuery(sql, [1], alice)).toBe(p);
    expect(e.planLiveQuery(sql, [2], alice)).not.toBe(p);
    expect(e.planLiveQuery(sql, ['1'], alice)).not.toBe(p); // typed key: '1' ≠ 1
    const forBob = e.planLiveQuery(sql, [1], bob);
    expect(forBob).not.toBe(p);
    expect(forBob.partition).toBe('bob');
    expect(p.partition).toBe('alice');
    expect(e.planLiveQuery(sql, [1], { user: 'alice', role: 'dba' })).not.toBe(p);
    expect(p.matches({ id: 2, body: null, _seq: 1n })).toBe(true);
    expect(e.planLiveQuery(sql, [5], alice).matches({ id: 2, body: null, _seq: 1n })).toBe(false);
  });

  test('failures are not cached, and a dropped then re-created table is planned afresh', async () => {
    await expectCode(() => e.planLiveQuery('SELECT * FROM app.later', [], alice), 'NOT_FOUND');
    await sql1(e, admin, 'CREATE SHARED TABLE app.later (id INT PRIMARY KEY, a TEXT)');
    const p = e.planLiveQuery('SELECT * FROM app.later', [], alice);
    expect(p.schema.map((f) => f.name)).toEqual(['id', 'a']);
    await sql1(e, admin, 'DROP TABLE app.later');
    await expectCode(() => e.planLiveQuery('SELECT * FROM app.later', [], alice), 'NOT_FOUND');
    await sql1(e, admin, 'CREATE SHARED TABLE app.later (id INT PRIMARY KEY, b TEXT)');
    const again = e.planLiveQuery('SELECT * FROM app.later', [], alice);
    expect(again).not.toBe(p);
    expect(again.schema.map((f) => f.name)).toEqual(['id', 'b']);
  });

  test('a query with a non-scalar param bypasses the cache and is judged every time', async () => {
    const sql = 'SELECT * FROM app.feed WHERE body = $1';
    await expectCode(() => e.planLiveQuery(sql, [{ a: 1 }], alice), 'INVALID_ARGUMENT');
    await expectCode(() => e.planLiveQuery(sql, [{ a: 1 }], alice), 'INVALID_ARGUMENT');
    expect(e.planLiveQuery(sql, ['x'], alice)).toBe(e.planLiveQuery(sql, ['x'], alice));
  });
});
