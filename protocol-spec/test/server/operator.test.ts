/**
 * Operator half: system.live_queries / system.connections, KILL, cleanup on every close path,
 * heartbeat, ping/pong.
 */
import { CloseCode, type ChangeMessage } from '@kalam/link/protocol';
import { openEngine } from '../../server/src/engine/index.js';
import { Client, closeAll, createUser, sql, sqlRaw, startHarness, sleep, type Harness } from './support/harness.js';

let h: Harness;
let alice: string;
let bob: string;
const clients: Client[] = [];

beforeAll(async () => {
  h = await startHarness({ limits: { clientTimeoutMs: 600 } });
  await sql(h.url(), h.adminToken, 'CREATE NAMESPACE ops; CREATE USER TABLE ops.items (id INT PRIMARY KEY, v TEXT); CREATE SHARED TABLE ops.feed (id INT PRIMARY KEY, v TEXT)');
  alice = await createUser(h, 'alice');
  bob = await createUser(h, 'bob');
});
afterEach(() => closeAll(clients.splice(0)));
afterAll(async () => h.close());

/** A client that keeps itself alive with pings (the test server's client timeout is 600 ms). */
async function connect(token: string): Promise<Client> {
  const c = await Client.connect(h.wsUrl(), token);
  clients.push(c);
  const timer = setInterval(() => {
    if (c.ws.readyState === c.ws.OPEN) c.send({ type: 'ping' });
    else clearInterval(timer);
  }, 150);
  void c.closed.then(() => clearInterval(timer));
  return c;
}

async function subscribed(c: Client, id: string, q = 'SELECT * FROM ops.items'): Promise<void> {
  c.subscribe(id, q, {});
  await c.next((m) => m.type === 'initial_data_batch' && m.subscription_id === id);
}

async function liveRows(where = ''): Promise<Array<Record<string, unknown>>> {
  const [r] = await sql(h.url(), h.adminToken, `SELECT * FROM system.live_queries ${where}`);
  return r?.rows ?? [];
}

async function connectWithId(token: string): Promise<[Client, string]> {
  const c = await Client.open(h.wsUrl());
  clients.push(c);
  c.authenticate(token, { serialization: 'msgpack' });
  const ok = await c.next('auth_success');
  const keep = setInterval(() => (c.ws.readyState === c.ws.OPEN ? c.send({ type: 'ping' }) : clearInterval(keep)), 150);
  void c.closed.then(() => clearInterval(keep));
  if (ok.type !== 'auth_success' || ok.connection_id === undefined) throw new Error('no connection_id');
  expect(ok.connection_id).toMatch(/^[0-9a-f]{32}$/);
  return [c, ok.connection_id];
}

it('system.live_queries has one row per acknowledged subscription, with the documented columns', async () => {
  const [c, cid] = await connectWithId(alice);
  await subscribed(c, 'a');
  await subscribed(c, 'b', 'SELECT id FROM ops.items WHERE id > 5');
  await sql(h.url(), alice, "INSERT INTO ops.items (id, v) VALUES (10, 'x')");
  await c.take(2, 'change');
  const rows = await liveRows(`WHERE connection_id = '${cid}'`);
  expect(rows.map((r) => r['live_id']).sort()).toEqual([`${cid}:a`, `${cid}:b`]);
  const b = rows.find((r) => r['subscription_id'] === 'b');
  expect(b).toMatchObject({
    connection_id: cid,
    user_id: 'alice',
    namespace: 'ops',
    table_name: 'items',
    query: 'SELECT id FROM ops.items WHERE id > 5',
    options: '{}',
    status: 'active',
    changes: '1', // change events (the snapshot batch is not one)
  });
  expect(typeof b?.['created_at']).toBe('number');
  expect(typeof b?.['last_ping_at']).toBe('number');
  expect(BigInt(b?.['last_seq_id'] as string)).toBeGreaterThan(0n);
  c.send({ type: 'unsubscribe', subscription_id: 'a' });
  await c.settle(50);
  expect((await liveRows(`WHERE connection_id = '${cid}'`)).map((r) => r['subscription_id'])).toEqual(['b']);
  const [conns] = await sql(h.url(), h.adminToken, `SELECT * FROM system.connections WHERE connection_id = '${cid}'`);
  expect(conns?.rows[0]).toMatchObject({ user_id: 'alice', subscriptions: 1, serialization: 'msgpack' });
  expect(String(conns?.rows[0]?.['remote_address'])).toMatch(/127\.0\.0\.1/);
});

it('system tables and KILL are dba-only', async () => {
  for (const q of ['SELECT * FROM system.live_queries', 'SELECT * FROM system.connections', "KILL CONNECTION 'abc'", "KILL LIVE QUERY 'abc:def'"]) {
    const r = await sqlRaw(h.url(), alice, q);
    expect([r.status, r.body.error?.code]).toEqual([403, 'UNAUTHORIZED']);
  }
});

it('KILL CONNECTION closes the socket with 4004 and its rows are gone when the statement returns', async () => {
  const [victim, cid] = await connectWithId(bob);
  const [bystander, other] = await connectWithId(bob);
  await subscribed(victim, 'k1');
  await subscribed(victim, 'k2');
  await subscribed(bystander, 'k1');
  expect(await liveRows(`WHERE connection_id = '${cid}'`)).toHaveLength(2);
  const t0 = performance.now();
  await sql(h.url(), h.adminToken, `KILL CONNECTION '${cid}'`);
  const killMs = performance.now() - t0;
  expect(await liveRows(`WHERE connection_id = '${cid}'`)).toEqual([]);
  expect((await victim.waitClose()).code).toBe(CloseCode.KILLED);
  expect(await liveRows(`WHERE connection_id = '${other}'`)).toHaveLength(1);
  expect(bystander.closeInfo).toBeUndefined();
  expect(killMs).toBeLessThan(5000); // the spec's cleanup SLA
  const again = await sqlRaw(h.url(), h.adminToken, `KILL CONNECTION '${cid}'`);
  expect([again.status, again.body.error?.code]).toEqual([404, 'NOT_FOUND']);
});

it('KILL LIVE QUERY ends one subscription with unsubscribed {reason: killed}; the socket and its other subscriptions stay', async () => {
  const [c, cid] = await connectWithId(alice);
  await subscribed(c, 'keep');
  await subscribed(c, 'gone');
  await sql(h.url(), h.adminToken, `KILL LIVE QUERY '${cid}:gone'`);
  expect(await c.next('unsubscribed')).toEqual({ type: 'unsubscribed', subscription_id: 'gone', reason: 'killed' });
  expect((await liveRows(`WHERE connection_id = '${cid}'`)).map((r) => r['subscription_id'])).toEqual(['keep']);
  await sql(h.url(), alice, "INSERT INTO ops.items (id, v) VALUES (20, 'after kill')");
  const ch = (await c.next('change')) as ChangeMessage;
  expect(ch.subscription_id).toBe('keep');
  expect(await c.settle(50)).toEqual([]);
  const r = await sqlRaw(h.url(), h.adminToken, `KILL LIVE QUERY '${cid}:gone'`);
  expect([r.status, r.body.error?.code]).toEqual([404, 'NOT_FOUND']);
});

it('an abrupt TCP reset removes the connection and its rows', async () => {
  const [c, cid] = await connectWithId(alice);
  await subscribed(c, 'r');
  expect(await liveRows(`WHERE connection_id = '${cid}'`)).toHaveLength(1);
  c.reset();
  const deadline = Date.now() + 2000;
  while ((await liveRows(`WHERE connection_id = '${cid}'`)).length > 0 && Date.now() < deadline) await sleep(10);
  expect(await liveRows(`WHERE connection_id = '${cid}'`)).toEqual([]);
  const [conns] = await sql(h.url(), h.adminToken, `SELECT * FROM system.connections WHERE connection_id = '${cid}'`);
  expect(conns?.rows).toEqual([]);
});

it('a clean close removes the rows too', async () => {
  const [c, cid] = await connectWithId(alice);
  await subscribed(c, 'x');
  c.close();
  await c.waitClose();
  await sleep(20);
  expect(await liveRows(`WHERE connection_id = '${cid}'`)).toEqual([]);
});

it('answers ping with pong; a silent client is closed with 4005 and its rows removed', async () => {
  const c = await Client.connect(h.wsUrl(), alice);
  clients.push(c);
  c.send({ type: 'ping' });
  expect(await c.next('pong')).toEqual({ type: 'pong' });
  c.subscribe('quiet', 'SELECT * FROM ops.items', {});
  await c.next('initial_data_batch');
  const closed = await c.waitClose(3000);
  expect(closed.code).toBe(CloseCode.HEARTBEAT_TIMEOUT);
  expect((await liveRows()).filter((r) => r['subscription_id'] === 'quiet')).toEqual([]);
});

it('purges rows left by a crashed previous process at start', async () => {
  await h.restartWith(async () => {
    // what a process killed mid-flight leaves behind
    const engine = await openEngine({ dataDir: h.dataDir });
    await engine.kv('rt:live_queries').put('deadbeef:stale', JSON.stringify({ live_id: 'deadbeef:stale', connection_id: 'deadbeef', subscription_id: 'stale' }));
    await engine.close();
  });
  expect(await liveRows()).toEqual([]);
});
