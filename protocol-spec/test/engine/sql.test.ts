/** SQL semantics of the engine over a real RocksDB: DDL, DML, SELECT, types, NULLs, errors. */
import type { Engine } from '../../server/src/engine/index.js';
import { admin, alice, expectCode, sql1, tempEngine } from './helpers.js';

let t: Awaited<ReturnType<typeof tempEngine>>;
let e: Engine;

beforeAll(async () => {
  t = await tempEngine();
  e = t.engine;
  await e.execute(
    `CREATE NAMESPACE app;
     CREATE USER TABLE app.items (id BIGINT, name TEXT NOT NULL, qty INT, price DOUBLE, ok BOOLEAN, ts TIMESTAMP, meta JSON, small SMALLINT, PRIMARY KEY (id));
     CREATE SHARED TABLE app.kv (k TEXT PRIMARY KEY, v TEXT)`,
    [],
    admin,
  );
});
afterAll(() => t.cleanup());

beforeEach(async () => {
  await sql1(e, alice, 'DELETE FROM app.items');
});

async function seed(): Promise<void> {
  await sql1(
    e,
    alice,
    `INSERT INTO app.items (id, name, qty, price, ok, ts, meta) VALUES
      (1, 'apple', 3, 1.5, true, '2024-01-01T00:00:00Z', '{"tags":["red"]}'),
      (2, 'banana', NULL, 0.25, false, 1700000000000000, NULL),
      (3, 'cherry', 10, NULL, NULL, NULL, '[1,2]'),
      (9223372036854775807, 'max', -2147483648, -0.5, true, NULL, '"s"')`,
  );
}

describe('DDL', () => {
  test('CREATE NAMESPACE / TABLE conflicts and IF NOT EXISTS', async () => {
    await expectCode(sql1(e, admin, 'CREATE NAMESPACE app'), 'CONFLICT');
    await sql1(e, admin, 'CREATE NAMESPACE IF NOT EXISTS app');
    await expectCode(sql1(e, admin, 'CREATE USER TABLE app.items (id INT PRIMARY KEY)'), 'CONFLICT');
    await sql1(e, admin, 'CREATE USER TABLE IF NOT EXISTS app.items (id INT PRIMARY KEY)');
    await expectCode(sql1(e, admin, 'CREATE USER TABLE nope.t (id INT PRIMARY KEY)'), 'NOT_FOUND');
    await expectCode(sql1(e, admin, 'CREATE USER TABLE app.nopk (id INT)'), 'INVALID_SQL');
    await expectCode(sql1(e, admin, 'CREATE USER TABLE app.j (j JSON PRIMARY KEY)'), 'UNSUPPORTED');
    await expectCode(sql1(e, admin, 'CREATE USER TABLE app.u (id DATE PRIMARY KEY)'), 'UNSUPPORTED');
    expect(e.getTable('app.items')).toMatchObject({ kind: 'user', primaryKey: ['id'] });
    expect(e.getTable('app.kv')).toMatchObject({ kind: 'shared', primaryKey: ['k'] });
  });

  test('DROP TABLE removes rows; re-created table starts empty', async () => {
    await sql1(e, admin, 'CREATE SHARED TABLE app.tmp (id INT PRIMARY KEY, v TEXT)');
    await sql1(e, admin, "INSERT INTO app.tmp VALUES (1, 'x')");
    const dropped: string[] = [];
    const off = e.onTableDropped((d) => dropped.push(d.tableId));
    await sql1(e, admin, 'DROP TABLE app.tmp');
    off();
    expect(dropped).toEqual(['app.tmp']);
    await expectCode(sql1(e, admin, 'SELECT * FROM app.tmp'), 'NOT_FOUND');
    await expectCode(sql1(e, admin, 'DROP TABLE app.tmp'), 'NOT_FOUND');
    await sql1(e, admin, 'DROP TABLE IF EXISTS app.tmp');
    await sql1(e, admin, 'CREATE SHARED TABLE app.tmp (id INT PRIMARY KEY, v TEXT)');
    expect((await sql1(e, admin, 'SELECT * FROM app.tmp')).rowCount).toBe(0);
    await sql1(e, admin, 'DROP TABLE app.tmp');
  });

  test('KalamDB spellings: WITH (TYPE = ...), quoted reserved words, DROP NAMESPACE', async () => {
    await sql1(e, admin, 'CREATE NAMESPACE IF NOT EXISTS extra');
    await sql1(e, admin, `CREATE TABLE extra.events ("at" TIMESTAMP, id TEXT PRIMARY KEY) WITH (TYPE = 'SHARED')`);
    expect(e.getTable('extra.events')?.kind).toBe('shared');
    await sql1(e, admin, `INSERT INTO extra.events ("at", id) VALUES (5, 'e1')`);
    expect((await sql1(e, alice, 'SELECT "at" FROM extra.events WHERE "at" > 1')).rows).toEqual([{ at: 5 }]);
    await expectCode(sql1(e, admin, 'DROP NAMESPACE extra'), 'CONFLICT');
    await sql1(e, admin, 'DROP TABLE extra.events');
    await sql1(e, admin, 'DROP NAMESPACE extra');
    await expectCode(sql1(e, admin, 'DROP NAMESPACE extra'), 'NOT_FOUND');
    await sql1(e, admin, 'DROP NAMESPACE IF EXISTS extra');
  });

  test('DDL needs dba', async () => {
    await expectCode(sql1(e, alice, 'CREATE NAMESPACE x'), 'UNAUTHORIZED');
    await expectCode(sql1(e, alice, 'CREATE USER TABLE app.x (id INT PRIMARY KEY)'), 'UNAUTHORIZED');
    await expectCode(sql1(e, alice, 'DROP TABLE app.items'), 'UNAUTHORIZED');
  });
});

describe('INSERT / SELECT', () => {
  test('types round-trip exactly, NULLs explicit, * excludes _seq', async () => {
    await seed();
    const r = await sql1(e, alice, 'SELECT * FROM app.items ORDER BY id');
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'name', 'qty', 'price', 'ok', 'ts', 'meta', 'small']);
    expect(r.columns[0]).toEqual({ name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] });
    expect(r.rows).toEqual([
      { id: 1n, name: 'apple', qty: 3, price: 1.5, ok: true, ts: 1704067200000000, meta: { tags: ['red'] }, small: null },
      { id: 2n, name: 'banana', qty: null, price: 0.25, ok: false, ts: 1700000000000000, meta: null, small: null },
      { id: 3n, name: 'cherry', qty: 10, price: null, ok: null, ts: null, meta: [1, 2], small: null },
      { id: 9223372036854775807n, name: 'max', qty: -2147483648, price: -0.5, ok: true, ts: null, meta: 's', small: null },
    ]);
    expect(r.rowCount).toBe(4);
  });

  test('WHERE operators, params, ORDER BY, LIMIT/OFFSET, projection with alias', async () => {
    await seed();
    const ids = async (where: string, params: unknown[] = []) =>
      (await sql1(e, alice, `SELECT id FROM app.items WHERE ${where} ORDER BY id`, params)).rows.map((r) => r['id']);
    expect(await ids('id = $1', ['9223372036854775807'])).toEqual([9223372036854775807n]);
    expect(await ids('id = 9223372036854775807')).toEqual([9223372036854775807n]);
    expect(await ids('id <> 1 AND id != 2')).toEqual([3n, 9223372036854775807n]);
    expect(await ids('qty < 5')).toEqual([1n, 9223372036854775807n]);
    expect(await ids('qty <= 3 OR price >= 0.25')).toEqual([1n, 2n, 9223372036854775807n]);
    expect(await ids('qty > 3')).toEqual([3n]);
    expect(await ids('NOT (qty > 3)')).toEqual([1n, 9223372036854775807n]);
    expect(await ids('id IN (1, $1, 3)', [2])).toEqual([1n, 2n, 3n]);
    expect(await ids('id NOT IN (1, 2)')).toEqual([3n, 9223372036854775807n]);
    expect(await ids("name LIKE '%an%'")).toEqual([2n]);
    expect(await ids("name LIKE 'c_erry'")).toEqual([3n]);
    expect(await ids("name NOT LIKE 'a%'")).toEqual([2n, 3n, 9223372036854775807n]);
    expect(await ids('qty IS NULL')).toEqual([2n]);
    expect(await ids('price IS NOT NULL AND ok = $1', [true])).toEqual([1n, 9223372036854775807n]);
    expect(await ids('ok = false')).toEqual([2n]);
    expect(await ids("ts >= '2023-12-31T00:00:00Z'")).toEqual([1n]);
    expect(await ids('qty = NULL')).toEqual([]);
    expect(await ids('qty BETWEEN 1 AND 3')).toEqual([1n]);
    const top = await sql1(e, alice, 'SELECT name AS n, qty FROM app.items ORDER BY qty DESC LIMIT 2 OFFSET 1');
    expect(top.columns.map((c) => c.name)).toEqual(['n', 'qty']);
    // NULLs sort first descending (PostgreSQL): [null(2), 10(3), 3(1), min(max)]
    expect(top.rows).toEqual([{ n: 'cherry', qty: 10 }, { n: 'apple', qty: 3 }]);
    const limited = await sql1(e, alice, 'SELECT id FROM app.items LIMIT 2');
    expect(limited.rows).toEqual([{ id: 1n }, { id: 2n }]);
  });

  test('aggregates COUNT/MIN/MAX/SUM', async () => {
    await seed();
    const r = await sql1(e, alice, 'SELECT COUNT(*), COUNT(qty) AS c, MAX(id), MIN(name), SUM(qty) FROM app.items');
    expect(r.rows).toEqual([{ 'count(*)': 4n, c: 3n, 'max(id)': 9223372036854775807n, 'min(name)': 'apple', 'sum(qty)': 13n - 2147483648n }]);
    const seq = await sql1(e, alice, 'SELECT MAX(_seq) FROM app.items');
    expect(typeof seq.rows[0]!['max(_seq)']).toBe('bigint');
  });

  test('duplicate pk → CONFLICT and nothing written (also within one statement)', async () => {
    await seed();
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, name) VALUES (1, 'again')"), 'CONFLICT');
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, name) VALUES (50, 'a'), (50, 'b')"), 'CONFLICT');
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, name) VALUES (51, 'a'), (1, 'b')"), 'CONFLICT');
    expect((await sql1(e, alice, 'SELECT COUNT(*) FROM app.items')).rows[0]).toEqual({ 'count(*)': 4n });
  });

  test('coercion and NOT NULL errors are INVALID_ARGUMENT', async () => {
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, name) VALUES ('x', 'a')"), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, 'INSERT INTO app.items (id, name) VALUES (1, NULL)'), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, 'INSERT INTO app.items (id) VALUES (1)'), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, name, qty) VALUES (1, 'a', 2147483648)"), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, name, small) VALUES (1, 'a', 40000)"), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, name) VALUES (9223372036854775808, 'a')"), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, name, ok) VALUES (1, 'a', 'maybe')"), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, name, ts) VALUES (1, 'a', 'not a date')"), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, 'INSERT INTO app.items (id, name) VALUES ($1, $2)', [1]), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, "SELECT * FROM app.items WHERE id = 'abc'"), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, nope) VALUES (1, 'a')"), 'INVALID_SQL');
    await expectCode(sql1(e, alice, "INSERT INTO app.items (id, _seq) VALUES (1, 'a')"), 'INVALID_SQL');
    await expectCode(sql1(e, alice, 'INSERT INTO app.items (id, name) VALUES (1)'), 'INVALID_SQL');
    expect((await sql1(e, alice, 'SELECT COUNT(*) FROM app.items')).rows[0]).toEqual({ 'count(*)': 0n });
  });

  test('params: bigint, decimal string, number, JSON object', async () => {
    await sql1(e, alice, 'INSERT INTO app.items (id, name, meta, price) VALUES ($1, $2, $3, $4)', [5n, 'p', { a: [1, 'x', null] }, '2.5']);
    await sql1(e, alice, 'INSERT INTO app.items (id, name) VALUES ($1, $2)', ['-9223372036854775808', 'min']);
    const r = await sql1(e, alice, 'SELECT id, meta, price FROM app.items ORDER BY id');
    expect(r.rows).toEqual([
      { id: -9223372036854775808n, meta: null, price: null },
      { id: 5n, meta: { a: [1, 'x', null] }, price: 2.5 },
    ]);
  });
});

describe('UPDATE / DELETE', () => {
  test('UPDATE ... SET ... WHERE changes matched rows and their _seq', async () => {
    await seed();
    const before = await sql1(e, alice, 'SELECT id, _seq FROM app.items WHERE id = 1');
    const r = await sql1(e, alice, 'UPDATE app.items SET name = $1, qty = NULL WHERE id = $2', ['APPLE', 1]);
    expect(r.rowCount).toBe(1);
    const after = await sql1(e, alice, 'SELECT name, qty, _seq FROM app.items WHERE id = 1');
    expect(after.rows[0]).toMatchObject({ name: 'APPLE', qty: null });
    expect(after.rows[0]!['_seq']).toBe(r.lastSeq);
    expect(r.lastSeq! > (before.rows[0]!['_seq'] as bigint)).toBe(true);
    expect((await sql1(e, alice, 'UPDATE app.items SET qty = 0 WHERE qty IS NULL')).rowCount).toBe(2);
    expect((await sql1(e, alice, 'UPDATE app.items SET qty = 1 WHERE id = 404')).rowCount).toBe(0);
    await expectCode(sql1(e, alice, 'UPDATE app.items SET name = NULL WHERE id = 1'), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, alice, 'UPDATE app.items SET id = 7 WHERE id = 1'), 'UNSUPPORTED');
    await expectCode(sql1(e, alice, 'UPDATE app.items SET _seq = 7 WHERE id = 1'), 'INVALID_SQL');
  });

  test('DELETE ... WHERE removes matched rows', async () => {
    await seed();
    expect((await sql1(e, alice, 'DELETE FROM app.items WHERE id IN (1, 2)')).rowCount).toBe(2);
    expect((await sql1(e, alice, 'SELECT id FROM app.items')).rows).toEqual([{ id: 3n }, { id: 9223372036854775807n }]);
    expect((await sql1(e, alice, 'DELETE FROM app.items WHERE id = 1')).rowCount).toBe(0);
  });
});

describe('column names that are keywords', () => {
  test('PostgreSQL non-reserved words (at, json, session, ...) and common names work unquoted everywhere', async () => {
    await sql1(
      e,
      admin,
      `CREATE SHARED TABLE app.words (key TEXT PRIMARY KEY, value TEXT, at TIMESTAMP, json JSON, session TEXT, global INT, local INT,
        partition INT, nulls INT, user TEXT, timestamp TIMESTAMP, date TEXT, data TEXT, status TEXT, name TEXT, type TEXT, text TEXT)`,
    );
    const cols = 'key, value, at, json, session, global, local, partition, nulls, user, timestamp, date, data, status, name, type, text';
    await sql1(e, admin, `INSERT INTO app.words (${cols}) VALUES ('k', 'v', 5, '{"a":1}', 's', 1, 2, 3, 4, 'u', 6, 'd', 'x', 'ok', 'n', 't', 'txt')`);
    const row = { key: 'k', value: 'v', at: 5, json: { a: 1 }, session: 's', global: 1, local: 2, partition: 3, nulls: 4, user: 'u', timestamp: 6, date: 'd', data: 'x', status: 'ok', name: 'n', type: 't', text: 'txt' };
    expect((await sql1(e, alice, `SELECT ${cols} FROM app.words WHERE at = 5 AND session = 's' AND partition > 2 ORDER BY at NULLS LAST, nulls`)).rows).toEqual([row]);
    await sql1(e, admin, "UPDATE app.words SET at = 7, session = 'S', json = '[1]' WHERE global = 1 AND local = 2");
    expect((await sql1(e, alice, "SELECT at, session, json FROM app.words WHERE 'at' = 'at' AND json IS NOT NULL")).rows).toEqual([{ at: 7, session: 'S', json: [1] }]);
    // spelling is kept, as for every bare name: At is another (unknown) column
    await expect(sql1(e, alice, 'SELECT At FROM app.words')).rejects.toThrow('unknown column At');
    const plan = e.planLiveQuery('SELECT at, json FROM app.words WHERE at > $1', [6], alice);
    expect(plan.schema.map((f) => f.name)).toEqual(['at', 'json', 'key']);
    expect((await sql1(e, admin, 'DELETE FROM app.words WHERE at = 7')).rowCount).toBe(1);
  });

  test('reserved words as column names fail with a hint to quote them, and work quoted', async () => {
    let message = '';
    try {
      await sql1(e, admin, 'CREATE SHARED TABLE app.res (id INT PRIMARY KEY, end TIMESTAMP)');
    } catch (err) {
      message = (err as Error).message;
      expect((err as { code?: string }).code).toBe('INVALID_SQL');
    }
    expect(message).toContain(`'end' is a reserved word here; if it is a column name, quote it as "end"`);
    await sql1(e, admin, 'CREATE SHARED TABLE app.res (id INT PRIMARY KEY, "end" TIMESTAMP, "desc" TEXT)');
    await sql1(e, admin, `INSERT INTO app.res (id, "end", "desc") VALUES (1, 2, 'd')`);
    expect((await sql1(e, alice, 'SELECT "end", "desc" FROM app.res WHERE "end" = 2 ORDER BY "desc"')).rows).toEqual([{ end: 2, desc: 'd' }]);
    await expect(sql1(e, alice, 'SELECT id FROM app.res WHERE desc = 1')).rejects.toThrow(`quote it as "desc"`);
    // no hint when the word before the error is not a reserved one
    await expect(sql1(e, alice, 'SELEC id FROM app.res')).rejects.not.toThrow('reserved word');
  });
});

describe('statements and errors', () => {
  test('several ;-separated statements give one result each, in order', async () => {
    const rs = await e.execute("INSERT INTO app.items (id, name) VALUES (1, 'a; b'); SELECT name FROM app.items; -- trailing comment\n", [], alice);
    expect(rs).toHaveLength(2);
    expect(rs[1]!.rows).toEqual([{ name: 'a; b' }]);
  });

  test('a syntax error anywhere fails the whole request before anything runs', async () => {
    await expectCode(e.execute("INSERT INTO app.items (id, name) VALUES (1, 'a'); SELEC 1", [], alice), 'INVALID_SQL');
    expect((await sql1(e, alice, 'SELECT COUNT(*) FROM app.items')).rows[0]).toEqual({ 'count(*)': 0n });
  });

  test.each([
    ['SELEC * FROM app.items', 'INVALID_SQL'],
    ['', 'INVALID_SQL'],
    ["SELECT * FROM app.items WHERE name = 'unterminated", 'INVALID_SQL'],
    ['SELECT * FROM items', 'INVALID_SQL'],
    ['SELECT * FROM app.nope', 'NOT_FOUND'],
    ['SELECT * FROM nope.nope', 'NOT_FOUND'],
    ['SELECT nope FROM app.items', 'INVALID_SQL'],
    ['SELECT * FROM app.items a JOIN app.kv b ON a.name = b.k', 'UNSUPPORTED'],
    ['SELECT name, COUNT(*) FROM app.items GROUP BY name', 'UNSUPPORTED'],
    ['SELECT * FROM app.items WHERE id = $1', 'INVALID_ARGUMENT'],
    ['CREATE USER bob', 'INVALID_SQL'],
    ['KILL SOMETHING', 'INVALID_SQL'],
    ['TRUNCATE app.items', 'UNSUPPORTED'],
  ])('%s → %s', async (text, code) => {
    await expectCode(e.execute(text, [], alice), code);
  });
});
