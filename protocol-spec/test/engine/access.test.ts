/** Who sees and writes what: user-table isolation, shared tables, users DDL, system tables, KILL, runtime KV. */
import type { Engine, KillRequest, UserChange } from '../../server/src/engine/index.js';
import { admin, alice, bob, expectCode, sql1, tempEngine } from './helpers.js';

let t: Awaited<ReturnType<typeof tempEngine>>;
let e: Engine;

beforeAll(async () => {
  t = await tempEngine();
  e = t.engine;
  await e.execute(
    `CREATE NAMESPACE app;
     CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT);
     CREATE SHARED TABLE app.config (k TEXT PRIMARY KEY, v TEXT)`,
    [],
    admin,
  );
});
afterAll(() => t.cleanup());

describe('user tables', () => {
  test('each user reads and writes only their own partition, even with the same primary keys', async () => {
    await sql1(e, alice, "INSERT INTO app.notes VALUES (1, 'alice-1'), (2, 'alice-2')");
    await sql1(e, bob, "INSERT INTO app.notes VALUES (1, 'bob-1')");
    expect((await sql1(e, alice, 'SELECT body FROM app.notes')).rows).toEqual([{ body: 'alice-1' }, { body: 'alice-2' }]);
    expect((await sql1(e, bob, 'SELECT body FROM app.notes WHERE id IN (1, 2)')).rows).toEqual([{ body: 'bob-1' }]);
    // bob cannot see, update or delete alice's rows, and cannot tell they exist
    expect((await sql1(e, bob, 'SELECT COUNT(*) FROM app.notes WHERE id = 2')).rows[0]).toEqual({ 'count(*)': 0n });
    expect((await sql1(e, bob, "UPDATE app.notes SET body = 'x' WHERE id = 2")).rowCount).toBe(0);
    expect((await sql1(e, bob, 'DELETE FROM app.notes')).rowCount).toBe(1);
    expect((await sql1(e, alice, 'SELECT COUNT(*) FROM app.notes')).rows[0]).toEqual({ 'count(*)': 2n });
    // a dba works on its own partition too
    expect((await sql1(e, admin, 'SELECT COUNT(*) FROM app.notes')).rows[0]).toEqual({ 'count(*)': 0n });
    // no conflict across partitions: bob may insert alice's key
    await sql1(e, bob, "INSERT INTO app.notes VALUES (2, 'bob-2')");
  });

  test('anonymous principals are refused', async () => {
    await expectCode(sql1(e, { user: 'anon', role: 'anonymous' }, 'SELECT * FROM app.notes'), 'UNAUTHORIZED');
  });
});

describe('shared tables', () => {
  test('every user reads; only dba writes', async () => {
    await sql1(e, admin, "INSERT INTO app.config VALUES ('theme', 'dark')");
    expect((await sql1(e, alice, 'SELECT * FROM app.config')).rows).toEqual([{ k: 'theme', v: 'dark' }]);
    expect((await sql1(e, bob, 'SELECT * FROM app.config')).rows).toEqual([{ k: 'theme', v: 'dark' }]);
    await expectCode(sql1(e, alice, "INSERT INTO app.config VALUES ('x', 'y')"), 'UNAUTHORIZED');
    await expectCode(sql1(e, alice, "UPDATE app.config SET v = 'light'"), 'UNAUTHORIZED');
    await expectCode(sql1(e, alice, 'DELETE FROM app.config'), 'UNAUTHORIZED');
    expect((await sql1(e, admin, "UPDATE app.config SET v = 'light' WHERE k = 'theme'")).rowCount).toBe(1);
  });
});

describe('users', () => {
  test('CREATE USER / verifyPassword / ALTER USER / DROP USER, with change events', async () => {
    const events: UserChange[] = [];
    const off = e.onUserChange((c) => events.push(c));
    await sql1(e, admin, "CREATE USER carol WITH PASSWORD 'it''s secret' ROLE user");
    expect(e.getUser('carol')).toEqual({ name: 'carol', role: 'user', enabled: true, createdAt: expect.any(Number) });
    expect(await e.verifyPassword('carol', "it's secret")).toEqual({ user: 'carol', role: 'user' });
    expect(await e.verifyPassword('carol', 'wrong')).toBeNull();
    expect(await e.verifyPassword('nobody', 'x')).toBeNull();
    await expectCode(sql1(e, admin, "CREATE USER carol WITH PASSWORD 'x'"), 'CONFLICT');
    await sql1(e, admin, "CREATE USER IF NOT EXISTS carol WITH PASSWORD 'x'");

    await sql1(e, admin, 'ALTER USER carol DISABLE');
    expect(e.getUser('carol')?.enabled).toBe(false);
    expect(await e.verifyPassword('carol', "it's secret")).toBeNull();
    await sql1(e, admin, 'ALTER USER carol ENABLE');
    await sql1(e, admin, "ALTER USER carol SET PASSWORD 'new'");
    expect(await e.verifyPassword('carol', 'new')).toEqual({ user: 'carol', role: 'user' });
    await sql1(e, admin, 'ALTER USER carol SET ROLE dba');
    expect(e.getUser('carol')?.role).toBe('dba');

    await sql1(e, admin, 'DROP USER carol');
    expect(e.getUser('carol')).toBeUndefined();
    expect(await e.verifyPassword('carol', 'new')).toBeNull();
    await expectCode(sql1(e, admin, 'DROP USER carol'), 'NOT_FOUND');
    await sql1(e, admin, 'DROP USER IF EXISTS carol');
    off();
    expect(events).toEqual([
      { user: 'carol', kind: 'created' },
      { user: 'carol', kind: 'disabled' },
      { user: 'carol', kind: 'enabled' },
      { user: 'carol', kind: 'dropped' },
    ]);
  });

  test('users DDL is dba-only and validated', async () => {
    await expectCode(sql1(e, alice, "CREATE USER mallory WITH PASSWORD 'x' ROLE dba"), 'UNAUTHORIZED');
    await expectCode(sql1(e, alice, 'DROP USER bob'), 'UNAUTHORIZED');
    await expectCode(sql1(e, alice, 'ALTER USER bob DISABLE'), 'UNAUTHORIZED');
    await expectCode(sql1(e, admin, "CREATE USER dave WITH PASSWORD 'x' ROLE king"), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, admin, "CREATE USER \"bad name\" WITH PASSWORD 'x'"), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, admin, "CREATE USER dave WITH PASSWORD ''"), 'INVALID_ARGUMENT');
    await expectCode(sql1(e, admin, 'DROP USER admin'), 'INVALID_ARGUMENT');
  });

  test('API: createUser, ensureAdmin (once)', async () => {
    await e.createUser('erin', 'pw', 'user');
    await expectCode(e.createUser('erin', 'pw', 'user'), 'CONFLICT');
    expect(await e.ensureAdmin('root-pw')).toBe(true);
    expect(await e.ensureAdmin('other')).toBe(false);
    expect(await e.verifyPassword('admin', 'root-pw')).toEqual({ user: 'admin', role: 'dba' });
  });
});

describe('system tables and KILL', () => {
  test('runtime system tables: dba-only SELECT with WHERE, projection, ORDER BY', async () => {
    e.registerSystemTable('live_queries', {
      columns: [
        { name: 'live_id', dataType: 'Text', notNull: true, primaryKey: true },
        { name: 'user_id', dataType: 'Text', notNull: true, primaryKey: false },
        { name: 'changes', dataType: 'BigInt', notNull: true, primaryKey: false },
      ],
      scan: async function* () {
        yield { live_id: 'c1:s1', user_id: 'alice', changes: 5n };
        yield { live_id: 'c2:s1', user_id: 'bob', changes: 1n };
      },
    });
    const r = await sql1(e, admin, "SELECT live_id, changes FROM system.live_queries WHERE user_id = 'alice' OR changes < $1 ORDER BY live_id DESC", [2]);
    expect(r.rows).toEqual([{ live_id: 'c2:s1', changes: 1n }, { live_id: 'c1:s1', changes: 5n }]);
    expect(r.columns[0]).toEqual({ name: 'live_id', data_type: 'Text', index: 0, flags: ['pk', 'nn'] });
    await expectCode(sql1(e, alice, 'SELECT * FROM system.live_queries'), 'UNAUTHORIZED');
    await expectCode(sql1(e, alice, 'SELECT * FROM system.nothing'), 'UNAUTHORIZED');
    await expectCode(sql1(e, admin, 'SELECT * FROM system.nothing'), 'NOT_FOUND');
  });

  test('built-in system.users and system.tables', async () => {
    const users = await sql1(e, admin, "SELECT user_id, role FROM system.users WHERE user_id = 'admin'");
    expect(users.rows).toEqual([{ user_id: 'admin', role: 'dba' }]);
    const tables = await sql1(e, admin, 'SELECT table_name, table_type FROM system.tables ORDER BY table_name');
    expect(tables.rows).toEqual([{ table_name: 'config', table_type: 'shared' }, { table_name: 'notes', table_type: 'user' }]);
  });

  test('KILL statements go to the kill handler (dba only); NOT_FOUND comes back as is', async () => {
    await expectCode(sql1(e, admin, "KILL CONNECTION 'abc'"), 'UNSUPPORTED');
    const seen: KillRequest[] = [];
    e.setKillHandler((req) => {
      seen.push(req);
      if (req.id === 'missing') throw Object.assign(new Error('unknown'), { code: 'NOT_FOUND' });
    });
    await sql1(e, admin, "KILL CONNECTION 'abc'");
    await sql1(e, admin, "KILL LIVE QUERY 'abc:sub-1'");
    await sql1(e, admin, 'KILL LIVE QUERY "q2:s"');
    await expectCode(sql1(e, admin, "KILL CONNECTION 'missing'"), 'NOT_FOUND');
    await expectCode(sql1(e, alice, "KILL CONNECTION 'abc'"), 'UNAUTHORIZED');
    expect(seen).toEqual([
      { kind: 'connection', id: 'abc' },
      { kind: 'live_query', id: 'abc:sub-1' },
      { kind: 'live_query', id: 'q2:s' },
      { kind: 'connection', id: 'missing' },
    ]);
  });
});

describe('runtime KV', () => {
  test('namespaced get/put/del/batch/range/deleteRange, isolated from other prefixes', async () => {
    const a = e.kv('rt:a');
    const b = e.kv('rt:b');
    await a.put('k1', 'v1');
    await a.batch([
      { type: 'put', key: 'k2', value: Buffer.from('v2') },
      { type: 'put', key: 'k3', value: 'v3' },
      { type: 'del', key: 'k1' },
    ]);
    await b.put('k1', 'other');
    expect(await a.get('k1')).toBeUndefined();
    expect((await a.get('k2'))?.toString()).toBe('v2');
    const all: string[] = [];
    for await (const { key, value } of a.range()) all.push(`${key.toString()}=${value.toString()}`);
    expect(all).toEqual(['k2=v2', 'k3=v3']);
    const rev: string[] = [];
    for await (const { key } of a.range({ gte: 'k2', reverse: true, limit: 1 })) rev.push(key.toString());
    expect(rev).toEqual(['k3']);
    await a.deleteRange();
    for await (const _ of a.range()) throw new Error('not empty');
    expect((await b.get('k1'))?.toString()).toBe('other');
    await b.del('k1');
    expect(await b.get('k1')).toBeUndefined();
  });
});
