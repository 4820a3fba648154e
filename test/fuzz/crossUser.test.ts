/**
 * Cross-user attempts are denied: user A never reads, subscribes to, changes or kills user B's
 * data or sessions, and non-dba users cannot read system tables or KILL.
 */
import { login, select, sql, sqlRaw, isErrorBody } from '../support/http.js';
import { tokenFor } from '../support/jwt.js';
import { openRaw, type RawClient } from '../support/rawClient.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('cross-user denial', () => {
  let server: TestServer;
  let alice: string;
  let bob: string;
  const open: RawClient[] = [];

  async function connect(token: string, serialization: 'json' | 'msgpack' = 'msgpack'): Promise<RawClient> {
    const client = await openRaw(server.url, { token, serialization });
    open.push(client);
    return client;
  }

  beforeAll(async () => {
    server = await startTestServer();
    const admin = server.adminToken;
    await sql(server.url, admin, 'CREATE NAMESPACE priv');
    await sql(server.url, admin, 'CREATE USER TABLE priv.notes (id INT PRIMARY KEY, body TEXT)');
    await sql(server.url, admin, 'CREATE SHARED TABLE priv.board (id INT PRIMARY KEY, body TEXT)');
    await sql(server.url, admin, "CREATE USER alice WITH PASSWORD 'alice-pw' ROLE user");
    await sql(server.url, admin, "CREATE USER bob WITH PASSWORD 'bob-pw' ROLE user");
    alice = await login(server.url, 'alice', 'alice-pw');
    bob = await login(server.url, 'bob', 'bob-pw');
    await sql(server.url, alice, "INSERT INTO priv.notes (id, body) VALUES (1, 'alice-1'), (2, 'alice-2')");
    await sql(server.url, bob, "INSERT INTO priv.notes (id, body) VALUES (1, 'bob-1'), (3, 'bob-3')");
  });

  afterEach(async () => {
    for (const client of open.splice(0)) await client.terminate();
  });

  afterAll(async () => {
    await server.close();
  });

  test('user A selecting a user table sees only A\'s rows, never B\'s (even with a WHERE naming B\'s ids)', async () => {
    const all = await select(server.url, alice, 'SELECT * FROM priv.notes');
    expect(all.map((r) => r.body).sort()).toEqual(['alice-1', 'alice-2']);
    expect(await select(server.url, alice, 'SELECT * FROM priv.notes WHERE id = 3')).toEqual([]);
    expect(await select(server.url, alice, "SELECT * FROM priv.notes WHERE body LIKE 'bob%' OR id > 0")).toHaveLength(2);
  });

  test('user A updating or deleting a user table cannot touch B\'s rows', async () => {
    await sql(server.url, alice, "UPDATE priv.notes SET body = 'hijacked' WHERE id = 3");
    await sql(server.url, alice, 'DELETE FROM priv.notes WHERE id = 3');
    await sql(server.url, alice, "UPDATE priv.notes SET body = 'alice-1' WHERE id = 1");
    const bobs = await select(server.url, bob, 'SELECT * FROM priv.notes');
    expect(bobs.map((r) => r.body).sort()).toEqual(['bob-1', 'bob-3']);
  });

  test('user A subscribing to a user table gets only A\'s rows and no event for B\'s writes', async () => {
    const client = await connect(alice);
    client.send({ type: 'subscribe', subscription: { id: 'notes', sql: 'SELECT * FROM priv.notes', options: {} } });
    const batch = await client.waitFor((f) => f.type === 'initial_data_batch');
    expect((batch.rows as Array<{ body: string }>).map((r) => r.body).sort()).toEqual(['alice-1', 'alice-2']);
    await sql(server.url, bob, "INSERT INTO priv.notes (id, body) VALUES (50, 'bob-secret')");
    await sql(server.url, bob, "UPDATE priv.notes SET body = 'bob-1b' WHERE id = 1");
    await sql(server.url, bob, 'DELETE FROM priv.notes WHERE id = 50');
    await sql(server.url, alice, "INSERT INTO priv.notes (id, body) VALUES (60, 'alice-60')");
    const change = await client.waitFor((f) => f.type === 'change');
    expect(change).toMatchObject({ change_type: 'insert', rows: [expect.objectContaining({ id: 60, body: 'alice-60' })] });
    expect(client.frames.filter((f) => f.type === 'change')).toHaveLength(1);
  });

  test('user A cannot KILL CONNECTION of user B (UNAUTHORIZED) and B stays connected', async () => {
    const victim = await connect(bob);
    const auth = await victim.waitFor((f) => f.type === 'auth_success');
    const connectionId = String(auth.connection_id);
    const result = await sqlRaw(server.url, alice, `KILL CONNECTION '${connectionId}'`);
    expect(result.status).toBe(403);
    expect(isErrorBody(result.body) && result.body.error.code).toBe('UNAUTHORIZED');
    const marker = victim.frames.length;
    victim.send({ type: 'ping' });
    await victim.waitFor((f) => f.type === 'pong', 3000, marker);
    expect(victim.isOpen).toBe(true);
  });

  test('user A cannot KILL LIVE QUERY of user B (UNAUTHORIZED) and B\'s subscription keeps delivering', async () => {
    const victim = await connect(bob);
    const auth = await victim.waitFor((f) => f.type === 'auth_success');
    victim.send({ type: 'subscribe', subscription: { id: 'mine', sql: 'SELECT * FROM priv.notes' } });
    await victim.waitFor((f) => f.type === 'subscription_ack');
    const result = await sqlRaw(server.url, alice, `KILL LIVE QUERY '${String(auth.connection_id)}:mine'`);
    expect(result.status).toBe(403);
    expect(isErrorBody(result.body) && result.body.error.code).toBe('UNAUTHORIZED');
    await sql(server.url, bob, "INSERT INTO priv.notes (id, body) VALUES (70, 'bob-70')");
    await victim.waitFor((f) => f.type === 'change');
    expect(victim.frames.some((f) => f.type === 'unsubscribed')).toBe(false);
  });

  test.each(['system.live_queries', 'system.connections', 'system.users'])('non-dba selecting %s → 403 UNAUTHORIZED', async (table) => {
    const result = await sqlRaw(server.url, alice, `SELECT * FROM ${table}`);
    expect(result.status).toBe(403);
    expect(isErrorBody(result.body) && result.body.error.code).toBe('UNAUTHORIZED');
  });

  // PROTOCOL.md §7.1: system tables are not live tables — subscribing is UNSUPPORTED for every role.
  test.each(['system.live_queries', 'system.connections'])('non-dba subscribing to %s → denied with a typed error for that subscription, no ack, no rows', async (table) => {
    const client = await connect(alice);
    client.send({ type: 'subscribe', subscription: { id: 'spy', sql: `SELECT * FROM ${table}`, options: {} } });
    const error = await client.waitFor((f) => f.type === 'error');
    expect(error).toMatchObject({ subscription_id: 'spy', code: 'UNSUPPORTED' });
    expect(client.frames.some((f) => f.type === 'subscription_ack' || f.type === 'initial_data_batch')).toBe(false);
  });

  test.each([
    ['CREATE USER', "CREATE USER mallory WITH PASSWORD 'pw' ROLE dba"],
    ['DROP USER', 'DROP USER bob'],
    ['ALTER USER DISABLE', 'ALTER USER bob DISABLE'],
    ['KILL CONNECTION (unknown id)', "KILL CONNECTION 'ffffffffffffffffffffffffffffffff'"],
    ['write to a shared table', "INSERT INTO priv.board (id, body) VALUES (1, 'graffiti')"],
  ])('non-dba %s → 403 UNAUTHORIZED', async (_name, statement) => {
    const result = await sqlRaw(server.url, alice, statement);
    expect(result.status).toBe(403);
    expect(isErrorBody(result.body) && result.body.error.code).toBe('UNAUTHORIZED');
  });

  test('a token naming user B signed with another secret cannot open a session as B', async () => {
    const forged = tokenFor('bob', 'dba', 'not-the-server-secret', 60_000);
    const client = await openRaw(server.url);
    open.push(client);
    client.sendRaw(JSON.stringify({ type: 'authenticate', method: 'jwt', token: forged }));
    const reply = await client.waitFor((f) => f.type === 'auth_error' || f.type === 'auth_success');
    expect(reply).toMatchObject({ type: 'auth_error', code: 'AUTH_FAILED' });
    expect((await client.closed).code).toBe(4001);
  });

  test('user A re-authenticating in-band with user B\'s token → auth_error and close 4001', async () => {
    const client = await connect(alice, 'json');
    client.sendRaw(JSON.stringify({ type: 'authenticate', method: 'jwt', token: bob }));
    const reply = await client.waitFor((f) => f.type === 'auth_error', 3000, 1);
    expect(reply).toMatchObject({ type: 'auth_error', code: 'AUTH_FAILED' });
    expect((await client.closed).code).toBe(4001);
  });
});
