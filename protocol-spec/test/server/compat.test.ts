/** `--compat kalamdb`: every extension omitted (PROTOCOL.md §KalamDB compat mode). */
import { CloseCode, type AuthSuccessMessage, type ChangeMessage, type InitialDataBatchMessage, type SubscriptionAckMessage } from '@kalam/link/protocol';
import { Client, closeAll, createUser, sql, startHarness, type Harness } from './support/harness.js';

let h: Harness;
let alice: string;
const clients: Client[] = [];

beforeAll(async () => {
  h = await startHarness({ compat: 'kalamdb' });
  await sql(h.url(), h.adminToken, 'CREATE NAMESPACE k; CREATE USER TABLE k.t (id INT PRIMARY KEY, a TEXT, b TEXT)');
  alice = await createUser(h, 'alice');
});
afterEach(() => closeAll(clients.splice(0)));
afterAll(async () => h.close());

async function connect(serialization: 'json' | 'msgpack' = 'json'): Promise<[Client, AuthSuccessMessage]> {
  const c = await Client.open(h.wsUrl(), undefined, { serialization });
  clients.push(c);
  c.authenticate(alice, { serialization });
  return [c, (await c.next('auth_success')) as AuthSuccessMessage];
}

it('auth_success has no connection_id/expires_at; ping gets no pong; connection errors use the synthetic id', async () => {
  const [c, ok] = await connect();
  expect(ok).toEqual({ type: 'auth_success', user: 'alice', role: 'user', protocol: { serialization: 'json', compression: 'none' } });
  c.send({ type: 'ping' });
  c.sendRaw('{broken');
  expect(await c.next('error')).toMatchObject({ subscription_id: 'protocol', code: 'PROTOCOL' });
  c.sendRaw(JSON.stringify({ type: 'subscribe', subscription: { id: 'sub-1', sql: 42 } }));
  expect(await c.next('error')).toMatchObject({ subscription_id: 'sub-1', code: 'PROTOCOL' }); // the real id where known (KalamDB)
  expect(await c.settle(100)).toEqual([]);
});

it('changes carry no seq/prev_seq and update rows omit NULL columns', async () => {
  await sql(h.url(), alice, "INSERT INTO k.t (id, a, b) VALUES (1, 'x', 'y')");
  const [c] = await connect('msgpack');
  c.subscribe('s', 'SELECT * FROM k.t', {});
  await c.next('initial_data_batch');
  await sql(h.url(), alice, "UPDATE k.t SET b = NULL WHERE id = 1");
  const upd = (await c.next('change')) as ChangeMessage;
  expect(upd).not.toHaveProperty('seq');
  expect(upd).not.toHaveProperty('prev_seq');
  expect(upd.rows?.[0]).toEqual({ id: 1, a: 'x', _seq: expect.any(BigInt) });
  expect(upd.old_values?.[0]).toMatchObject({ id: 1, a: 'x', b: 'y' });
});

it('resume with from returns rows with _seq > from as snapshot batches, no resumed flag; KILL LIVE QUERY is silent', async () => {
  await sql(h.url(), alice, "INSERT INTO k.t (id, a) VALUES (10, 'old'), (11, 'old2')");
  let [c] = await connect();
  c.subscribe('r', 'SELECT * FROM k.t WHERE id >= 10', {});
  const first = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  c.close();
  await c.waitClose();
  await sql(h.url(), alice, "UPDATE k.t SET a = 'new' WHERE id = 10");
  await sql(h.url(), alice, 'DELETE FROM k.t WHERE id = 11');
  await sql(h.url(), alice, "INSERT INTO k.t (id, a) VALUES (12, 'fresh')");
  let ok: AuthSuccessMessage;
  [c, ok] = await connect();
  void ok;
  c.subscribe('r', 'SELECT * FROM k.t WHERE id >= 10', { from: first.batch_control.last_seq_id as bigint });
  const ack = (await c.next('subscription_ack')) as SubscriptionAckMessage;
  expect(ack).not.toHaveProperty('resumed');
  const batch = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  expect(batch.rows.map((r) => [r['id'], r['a']])).toEqual([[10, 'new'], [12, 'fresh']]);
  const [rows] = await sql(h.url(), h.adminToken, "SELECT live_id FROM system.live_queries WHERE user_id = 'alice'");
  await sql(h.url(), h.adminToken, `KILL LIVE QUERY '${String(rows?.rows[0]?.['live_id'])}'`);
  await sql(h.url(), alice, "INSERT INTO k.t (id, a) VALUES (13, 'unseen')");
  expect(await c.settle(150)).toEqual([]);
});

it('auth failures close with 1008 as KalamDB does', async () => {
  const c = await Client.open(h.wsUrl());
  clients.push(c);
  c.authenticate('garbage');
  expect(await c.next('auth_error')).not.toHaveProperty('code');
  expect((await c.waitClose()).code).toBe(CloseCode.POLICY_VIOLATION);
});
