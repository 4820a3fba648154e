/**
 * Live queries over a real socket: snapshot batching, live changes, leave/enter WHERE,
 * multiplexing, isolation, shared tables, re-subscribe, errors.
 */
import type { ChangeMessage, InitialDataBatchMessage, ServerMessage, SubscriptionAckMessage } from '@kalam/link/protocol';
import { Client, closeAll, createUser, sql, startHarness, type Harness } from './support/harness.js';

let h: Harness;
let alice: string;
let bob: string;
const clients: Client[] = [];
let n = 0;

beforeAll(async () => {
  h = await startHarness();
  await sql(h.url(), h.adminToken, 'CREATE NAMESPACE app');
  alice = await createUser(h, 'alice');
  bob = await createUser(h, 'bob');
});
afterEach(() => closeAll(clients.splice(0)));
afterAll(async () => h.close());

async function table(kind: 'USER' | 'SHARED' = 'USER'): Promise<string> {
  const name = `app.t${++n}`;
  await sql(h.url(), h.adminToken, `CREATE ${kind} TABLE ${name} (id INT PRIMARY KEY, title TEXT, done BOOLEAN, big BIGINT)`);
  return name;
}

async function connect(token: string, serialization: 'json' | 'msgpack' = 'msgpack'): Promise<Client> {
  const c = await Client.connect(h.wsUrl(), token, { serialization });
  clients.push(c);
  return c;
}

const isFor = (id: string, type: ServerMessage['type']) => (m: ServerMessage) => m.type === type && 'subscription_id' in m && m.subscription_id === id;

describe.each(['msgpack', 'json'] as const)('live queries (%s)', (serialization) => {
  it('acks, sends the snapshot, then every insert, update and delete as change events with seq/prev_seq', async () => {
    const t = await table();
    await sql(h.url(), alice, `INSERT INTO ${t} (id, title, done, big) VALUES (1, 'one', false, 9007199254740993), (2, 'two', true, NULL)`);
    const c = await connect(alice, serialization);
    c.subscribe('s', `SELECT * FROM ${t}`, {});
    const ack = (await c.next('subscription_ack')) as SubscriptionAckMessage;
    expect(ack.total_rows).toBe(2);
    expect(ack.schema.map((f) => f.name)).toEqual(['id', 'title', 'done', 'big']);
    expect(ack.schema[0]?.flags).toContain('pk');
    const batch = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
    expect(batch.rows.map((r) => r['id'])).toEqual([1, 2]);
    expect(batch.batch_control).toMatchObject({ batch_num: 0, has_more: false, status: 'ready' });
    const s = batch.batch_control.last_seq_id as bigint;
    expect(typeof s).toBe('bigint');
    expect(s).toBeGreaterThanOrEqual(batch.rows[1]?.['_seq'] as bigint);
    expect(ack.batch_control).toEqual(batch.batch_control);

    await sql(h.url(), alice, `INSERT INTO ${t} (id, title, done) VALUES (3, 'three', false)`);
    await sql(h.url(), alice, `UPDATE ${t} SET title = NULL, done = true WHERE id = 1`);
    await sql(h.url(), alice, `DELETE FROM ${t} WHERE id = 2`);
    const [ins, upd, del] = (await c.take(3, 'change')) as ChangeMessage[];
    expect(ins).toMatchObject({ change_type: 'insert', subscription_id: 's', prev_seq: s });
    expect(ins?.rows?.[0]).toMatchObject({ id: 3, title: 'three', done: false, big: null });
    expect(ins?.rows?.[0]?.['_seq']).toBe(ins?.seq);
    expect(upd).toMatchObject({ change_type: 'update', prev_seq: ins?.seq });
    expect(upd?.rows?.[0]).toEqual({ id: 1, title: null, done: true, big: serialization === 'json' ? '9007199254740993' : 9007199254740993n, _seq: upd?.seq });
    expect(upd?.old_values?.[0]).toMatchObject({ id: 1, title: 'one', done: false, _seq: batch.rows[0]?.['_seq'] });
    expect(del).toMatchObject({ change_type: 'delete', prev_seq: upd?.seq });
    expect(del?.rows).toBeUndefined();
    expect(del?.old_values?.[0]).toMatchObject({ id: 2, title: 'two' });
    expect((del?.seq as bigint) > (upd?.seq as bigint)).toBe(true);
  });
});

it('pages the snapshot with batch_size and next_batch: statuses, cursors, final last_seq_id = S', async () => {
  const t = await table();
  const values = Array.from({ length: 25 }, (_, i) => `(${i + 1}, 'r${i + 1}', false, ${i})`).join(', ');
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title, done, big) VALUES ${values}`);
  const c = await connect(alice);
  c.subscribe('p', `SELECT id FROM ${t}`, { batch_size: 10 });
  const ack = (await c.next('subscription_ack')) as SubscriptionAckMessage;
  expect(ack.total_rows).toBe(25);
  const b0 = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  expect(b0.batch_control).toMatchObject({ batch_num: 0, has_more: true, status: 'loading' });
  expect(b0.batch_control.last_seq_id).toBe(b0.rows[9]?.['_seq']);
  expect(await c.settle(100)).toEqual([]); // batch 1 only on request
  c.send({ type: 'next_batch', subscription_id: 'p', last_seq_id: b0.batch_control.last_seq_id });
  const b1 = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  expect(b1.batch_control).toMatchObject({ batch_num: 1, has_more: true, status: 'loading_batch' });
  c.send({ type: 'next_batch', subscription_id: 'p' });
  const b2 = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  expect(b2.batch_control).toMatchObject({ batch_num: 2, has_more: false, status: 'ready' });
  const ids = [...b0.rows, ...b1.rows, ...b2.rows].map((r) => r['id']);
  expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  const seqs = [...b0.rows, ...b1.rows, ...b2.rows].map((r) => r['_seq'] as bigint);
  expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
  expect(b2.batch_control.last_seq_id as bigint).toBeGreaterThanOrEqual(seqs[24] as bigint);
  // projection keeps the pk and adds _seq
  expect(Object.keys(b0.rows[0] ?? {}).sort()).toEqual(['_seq', 'id']);
  c.send({ type: 'next_batch', subscription_id: 'p' });
  expect(await c.next('error')).toMatchObject({ subscription_id: 'p' });
});

it('total_rows is exact when counting is cheap (no WHERE, or last_rows), else the first page when it is the only one, else 0', async () => {
  const t = await table();
  const values = Array.from({ length: 25 }, (_, i) => `(${i + 1}, 'r${i + 1}', ${i % 2 === 0}, ${i})`).join(', ');
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title, done, big) VALUES ${values}`);
  const c = await connect(alice);
  const ackOf = async (id: string, where: string, options: { batch_size?: number; last_rows?: number }): Promise<number> => {
    c.subscribe(id, `SELECT id FROM ${t}${where}`, options);
    const ack = (await c.next(isFor(id, 'subscription_ack'))) as SubscriptionAckMessage;
    await c.next(isFor(id, 'initial_data_batch'));
    return ack.total_rows;
  };
  expect(await ackOf('all', '', { batch_size: 5 })).toBe(25); // row count, no scan
  expect(await ackOf('last', ' WHERE done = true', { last_rows: 4, batch_size: 5 })).toBe(4); // the bounded read paging needs
  expect(await ackOf('one-page', ' WHERE done = true', { batch_size: 100 })).toBe(13); // the only page
  expect(await ackOf('paged', ' WHERE done = true', { batch_size: 5 })).toBe(0); // more pages: not counted
});

it('last_rows sends only the newest N rows; last_rows > batch_size is UNSUPPORTED; batch_size > 10000 is INVALID_ARGUMENT', async () => {
  const t = await table();
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')`);
  const c = await connect(alice);
  c.subscribe('l', `SELECT * FROM ${t}`, { last_rows: 2 });
  const batch = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  expect(batch.rows.map((r) => r['id'])).toEqual([3, 4]);
  c.subscribe('bad', `SELECT * FROM ${t}`, { last_rows: 20, batch_size: 10 });
  expect(await c.next('error')).toMatchObject({ subscription_id: 'bad', code: 'UNSUPPORTED' });
  c.subscribe('huge', `SELECT * FROM ${t}`, { batch_size: 10_001 });
  expect(await c.next('error')).toMatchObject({ subscription_id: 'huge', code: 'INVALID_ARGUMENT' });
});

it('without options: live only — ack ready with last_seq_id = S, no batch, then changes', async () => {
  const t = await table();
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title) VALUES (1, 'old')`);
  const c = await connect(alice);
  c.subscribe('live', `SELECT * FROM ${t}`);
  const ack = (await c.next('subscription_ack')) as SubscriptionAckMessage;
  expect(ack.batch_control).toMatchObject({ batch_num: 0, has_more: false, status: 'ready' });
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title) VALUES (2, 'new')`);
  const ch = (await c.next('change')) as ChangeMessage;
  expect(ch.rows?.[0]?.['id']).toBe(2);
  expect(ch.prev_seq).toBe(ack.batch_control.last_seq_id);
  expect(c.received.filter((m) => m.type === 'initial_data_batch')).toEqual([]);
});

it('an UPDATE that leaves the WHERE is a delete, one that enters it is an insert; others are silent', async () => {
  const t = await table();
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title, done) VALUES (1, 'a', false), (2, 'b', true)`);
  const c = await connect(alice);
  c.subscribe('open', `SELECT id, title FROM ${t} WHERE done = $1`, {}, [false]);
  const batch = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  expect(batch.rows.map((r) => r['id'])).toEqual([1]);
  await sql(h.url(), alice, `UPDATE ${t} SET done = true WHERE id = 1`); // leaves
  await sql(h.url(), alice, `UPDATE ${t} SET title = 'still done' WHERE id = 2`); // not seen
  await sql(h.url(), alice, `UPDATE ${t} SET done = false WHERE id = 2`); // enters
  const [left, entered] = (await c.take(2, 'change')) as ChangeMessage[];
  expect(left).toMatchObject({ change_type: 'delete', old_values: [{ id: 1, title: 'a' }] });
  expect(entered).toMatchObject({ change_type: 'insert', rows: [{ id: 2, title: 'still done' }] });
  expect(entered?.prev_seq).toBe(left?.seq);
  expect(await c.settle(100)).toEqual([]);
});

it('two subscriptions on one socket; unsubscribing one leaves the other running', async () => {
  const t = await table();
  const c = await connect(alice);
  c.subscribe('a', `SELECT * FROM ${t}`, {});
  c.subscribe('b', `SELECT * FROM ${t} WHERE id > 10`, {});
  await c.take(2, 'initial_data_batch');
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title) VALUES (11, 'x')`);
  const both = (await c.take(2, 'change')) as ChangeMessage[];
  expect(both.map((m) => m.subscription_id).sort()).toEqual(['a', 'b']);
  c.send({ type: 'unsubscribe', subscription_id: 'a' });
  c.send({ type: 'unsubscribe', subscription_id: 'a' }); // idempotent, no reply
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title) VALUES (12, 'y')`);
  const only = (await c.next('change')) as ChangeMessage;
  expect(only.subscription_id).toBe('b');
  expect(await c.settle(100)).toEqual([]);
  expect(h.server.stats().subscriptions).toBe(1);
});

it('isolates user tables: a user never sees another user\'s rows, snapshot or live', async () => {
  const t = await table();
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title) VALUES (1, 'alice secret')`);
  await sql(h.url(), bob, `INSERT INTO ${t} (id, title) VALUES (1, 'bob row')`);
  const cb = await connect(bob);
  cb.subscribe('s', `SELECT * FROM ${t}`, {});
  const batch = (await cb.next('initial_data_batch')) as InitialDataBatchMessage;
  expect(batch.rows.map((r) => r['title'])).toEqual(['bob row']);
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title) VALUES (2, 'alice again')`);
  await sql(h.url(), alice, `UPDATE ${t} SET title = 'changed' WHERE id = 1`);
  await sql(h.url(), bob, `INSERT INTO ${t} (id, title) VALUES (3, 'bob live')`);
  const ch = (await cb.next('change')) as ChangeMessage;
  expect(ch.rows?.[0]?.['title']).toBe('bob live');
  expect(await cb.settle(100)).toEqual([]);
});

it('shared tables deliver to every subscriber, whoever they are, encoded per projection', async () => {
  const t = await table('SHARED');
  const ca = await connect(alice, 'json');
  const cb = await connect(bob, 'msgpack');
  ca.subscribe('x', `SELECT title FROM ${t}`, {});
  cb.subscribe('y', `SELECT * FROM ${t}`, {});
  cb.subscribe('z', `SELECT * FROM ${t} WHERE id = 99`, {});
  await ca.next('initial_data_batch');
  await cb.take(2, 'initial_data_batch');
  await sql(h.url(), h.adminToken, `INSERT INTO ${t} (id, title, done) VALUES (1, 'news', true)`);
  expect(((await ca.next('change')) as ChangeMessage).rows).toEqual([{ id: 1, title: 'news', _seq: expect.any(BigInt) }]);
  const cy = (await cb.next(isFor('y', 'change'))) as ChangeMessage;
  expect(cy.rows?.[0]).toMatchObject({ id: 1, title: 'news', done: true });
  expect(await cb.settle(100)).toEqual([]);
});

it('re-subscribing with an existing id replaces the registration', async () => {
  const t = await table();
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title) VALUES (1, 'a'), (2, 'b')`);
  const c = await connect(alice);
  c.subscribe('s', `SELECT * FROM ${t} WHERE id = 1`, {});
  await c.next('initial_data_batch');
  c.subscribe('s', `SELECT * FROM ${t} WHERE id = 2`, {});
  const b = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  expect(b.rows.map((r) => r['id'])).toEqual([2]);
  await sql(h.url(), alice, `UPDATE ${t} SET title = 'x' WHERE id = 1`);
  await sql(h.url(), alice, `UPDATE ${t} SET title = 'y' WHERE id = 2`);
  const ch = (await c.next('change')) as ChangeMessage;
  expect(ch.rows?.[0]).toMatchObject({ id: 2, title: 'y' });
  expect(await c.settle(100)).toEqual([]);
  expect(h.server.stats().subscriptions).toBe(1);
});

it('subscribe errors carry the subscription id, register nothing, and the socket keeps serving', async () => {
  const t = await table();
  const c = await connect(alice);
  c.subscribe('order', `SELECT * FROM ${t} ORDER BY id`, {});
  expect(await c.next('error')).toMatchObject({ subscription_id: 'order', code: 'UNSUPPORTED' });
  c.subscribe('nosuch', 'SELECT * FROM app.nope', {});
  expect(await c.next('error')).toMatchObject({ subscription_id: 'nosuch', code: 'NOT_FOUND' });
  c.subscribe('garbage', 'SELEKT 1', {});
  expect(await c.next('error')).toMatchObject({ subscription_id: 'garbage', code: 'INVALID_SQL' });
  c.subscribe('sys', 'SELECT * FROM system.live_queries', {});
  expect(await c.next('error')).toMatchObject({ subscription_id: 'sys' });
  c.subscribe('ok', `SELECT * FROM ${t}`, {});
  expect(await c.next('subscription_ack')).toMatchObject({ subscription_id: 'ok' });
  expect(h.server.stats().subscriptions).toBe(1);
});

it('gzip: large frames arrive gzip-wrapped as binary and decode to the same messages', async () => {
  const t = await table();
  const values = Array.from({ length: 50 }, (_, i) => `(${i}, '${'lorem ipsum '.repeat(5)}${i}', false, 0)`).join(', ');
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title, done, big) VALUES ${values}`);
  const c = await Client.connect(h.wsUrl(), alice, { serialization: 'json', compression: 'gzip' });
  clients.push(c);
  c.subscribe('g', `SELECT * FROM ${t}`, {});
  const batch = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  expect(batch.rows).toHaveLength(50);
  expect(c.rawFrames.some((f) => f.gzip && f.binary)).toBe(true);
  expect(c.rawFrames[0]).toMatchObject({ binary: false, gzip: false }); // auth_success stays JSON text
  await sql(h.url(), alice, `INSERT INTO ${t} (id, title) VALUES (1000, 'small')`);
  expect(((await c.next('change')) as ChangeMessage).rows?.[0]?.['id']).toBe(1000);
  expect(c.rawFrames[c.rawFrames.length - 1]).toMatchObject({ binary: false, gzip: false }); // < 512 bytes
});

it('drops subscriptions of a dropped table with unsubscribed {reason: table_dropped}', async () => {
  const t = await table();
  const c = await connect(alice);
  c.subscribe('d', `SELECT * FROM ${t}`, {});
  await c.next('initial_data_batch');
  await sql(h.url(), h.adminToken, `DROP TABLE ${t}`);
  expect(await c.next('unsubscribed')).toEqual({ type: 'unsubscribed', subscription_id: 'd', reason: 'table_dropped' });
  expect(h.server.stats().subscriptions).toBe(0);
});
