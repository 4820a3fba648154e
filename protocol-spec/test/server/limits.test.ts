/**
 * Limits and bad input: frame size, subscriptions per connection, message rate, malformed frames,
 * and the slow consumer (bounded outbound buffer → 4006, then resume exactly once).
 */
import { gzipSync } from 'node:zlib';
import { encode as rawMsgpack } from '@msgpack/msgpack';
import { CloseCode, type ChangeMessage, type ErrorMessage, type InitialDataBatchMessage } from '@kalam/link/protocol';
import { Client, closeAll, createUser, sql, startHarness, sleep, type Harness } from './support/harness.js';

let h: Harness;
let alice: string;
const clients: Client[] = [];

beforeAll(async () => {
  h = await startHarness({ limits: { maxSubscriptionsPerConnection: 3, messagesPerSecond: 50, messageBurst: 50, maxOutboundBytes: 1024 * 1024 } });
  await sql(h.url(), h.adminToken, 'CREATE NAMESPACE lim; CREATE USER TABLE lim.t (id INT PRIMARY KEY, body TEXT)');
  alice = await createUser(h, 'alice');
});
afterEach(() => closeAll(clients.splice(0)));
afterAll(async () => h.close());

async function connect(serialization: 'json' | 'msgpack' = 'msgpack'): Promise<Client> {
  const c = await Client.connect(h.wsUrl(), alice, { serialization });
  clients.push(c);
  return c;
}

async function alive(c: Client): Promise<void> {
  c.send({ type: 'ping' });
  await c.next('pong');
}

it('a frame over 1 MiB (text, binary, or inflated gzip) gets MESSAGE_TOO_LARGE and the connection stays open', async () => {
  const c = await connect();
  c.sendRaw('x'.repeat(1024 * 1024 + 1));
  expect(await c.next('error')).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
  c.sendRaw(new Uint8Array(1024 * 1024 + 1));
  expect(await c.next('error')).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
  c.sendRaw(new Uint8Array(gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)))); // small on the wire, 2 MiB inflated
  expect(await c.next('error')).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
  await alive(c);
  expect(c.closeInfo).toBeUndefined();
});

it('malformed frames get typed PROTOCOL errors (with the subscription id when one is readable); the connection and the server keep serving', async () => {
  const c = await connect('json');
  const bad: Array<[string | Uint8Array, string | undefined]> = [
    ['{not json', undefined],
    ['[]', undefined],
    [JSON.stringify({ type: 'no_such_type' }), undefined],
    [JSON.stringify({ type: 'subscribe', subscription: { id: 's' } }), 's'],
    [JSON.stringify({ type: 'subscribe', subscription: { id: ' ', sql: 'SELECT * FROM lim.t' } }), undefined],
    [JSON.stringify({ type: 'pong' }), undefined],
    [JSON.stringify({ type: 'next_batch', subscription_id: 's', last_seq_id: -1 }), 's'],
    [Uint8Array.of(0xc1, 0xff, 0x00), undefined],
    [Uint8Array.of(0x1f, 0x8b, 1, 2, 3), undefined],
    [new Uint8Array(gzipSync(Buffer.from('{"type":'))), undefined],
  ];
  for (const [frame, subscriptionId] of bad) {
    c.sendRaw(frame);
    const err = (await c.next('error')) as ErrorMessage;
    expect(err.code).toBe('PROTOCOL');
    expect(err.subscription_id).toBe(subscriptionId);
  }
  await alive(c);
  c.subscribe('ok', 'SELECT * FROM lim.t', {});
  await c.next('initial_data_batch');
  const other = await connect();
  await alive(other);
});

it('a malformed subscribe naming a readable id fails that subscription (error with its id, nothing registered, an old one with that id removed); a malformed next_batch keeps it', async () => {
  for (const serialization of ['msgpack', 'json'] as const) {
    const c = await connect(serialization);
    const encode = (m: Record<string, unknown>): string | Uint8Array => (serialization === 'json' ? JSON.stringify(m) : rawMsgpack(m));
    c.subscribe('keep', 'SELECT * FROM lim.t', {});
    await c.next('initial_data_batch');
    c.subscribe('old', 'SELECT * FROM lim.t', {});
    await c.next('initial_data_batch');
    c.received.splice(0); // their acks
    const frames: Array<[string, string | Uint8Array]> = [
      ['bad-type', encode({ type: 'subscribe', subscription: { id: 'bad-type', sql: 'SELECT * FROM lim.t', options: { batch_size: 'ten' } } })],
      ['bad-params', encode({ type: 'subscribe', subscription: { id: 'bad-params', sql: 'SELECT * FROM lim.t', params: 'x' } })],
      ['gz', new Uint8Array(gzipSync(Buffer.from(encode({ type: 'subscribe', subscription: { id: 'gz', sql: 'SELECT * FROM lim.t', options: { batch_size: 0 } }, pad: 'p'.repeat(600) }))))],
      ['old', encode({ type: 'subscribe', subscription: { id: 'old', sql: 'SELECT * FROM lim.t', options: { last_rows: -1 } } })],
      ['keep', encode({ type: 'next_batch', subscription_id: 'keep', last_seq_id: 'not a seq' })],
    ];
    for (const [id, frame] of frames) {
      c.sendRaw(frame);
      expect(await c.next('error')).toMatchObject({ subscription_id: id, code: 'PROTOCOL' });
    }
    expect(c.received.filter((m) => m.type === 'subscription_ack')).toEqual([]);
    expect(h.server.stats().subscriptions).toBe(1); // 'old' went, 'keep' stays (its change follows)
    await sql(h.url(), alice, `INSERT INTO lim.t (id, body) VALUES (${serialization === 'json' ? 900_001 : 900_002}, 'x')`);
    expect(await c.next('change')).toMatchObject({ subscription_id: 'keep' });
    expect(await c.settle(100)).toEqual([]);
    c.close();
    await c.waitClose();
  }
});

it('subscriptions per connection are limited; re-using an id at the limit is a replacement, not a new one', async () => {
  const c = await connect();
  for (const id of ['a', 'b', 'c']) c.subscribe(id, 'SELECT * FROM lim.t', {});
  await c.take(3, 'initial_data_batch');
  await c.take(3, 'subscription_ack');
  c.subscribe('d', 'SELECT * FROM lim.t', {});
  expect(await c.next('error')).toMatchObject({ subscription_id: 'd', code: 'SUBSCRIPTION_LIMIT_EXCEEDED' });
  c.subscribe('a', 'SELECT id FROM lim.t', {});
  expect(await c.next('subscription_ack')).toMatchObject({ subscription_id: 'a' });
  c.send({ type: 'unsubscribe', subscription_id: 'b' });
  c.subscribe('d', 'SELECT * FROM lim.t', {});
  expect(await c.next((m) => m.type === 'subscription_ack' && m.subscription_id === 'd')).toBeDefined();
});

it('inbound messages are rate limited per connection (RATE_LIMIT_EXCEEDED, frame ignored, socket stays)', async () => {
  const c = await connect();
  for (let i = 0; i < 120; i++) c.send({ type: 'ping' });
  await sleep(200);
  const pongs = c.received.filter((m) => m.type === 'pong').length;
  const limited = c.received.filter((m) => m.type === 'error' && m.code === 'RATE_LIMIT_EXCEEDED').length;
  expect(pongs + limited).toBe(120);
  expect(limited).toBeGreaterThan(0);
  expect(pongs).toBeGreaterThanOrEqual(45); // burst 50, one token went to authenticate
  expect(pongs).toBeLessThan(120);
  c.received.splice(0);
  await sleep(100);
  await alive(c);
});

it('a consumer that stops reading is closed with 4006; after resume it has every change exactly once', async () => {
  const c = await connect();
  c.subscribe('slow', 'SELECT * FROM lim.t', {});
  const snap = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  const seen = new Map<number, number>();
  for (const r of snap.rows) seen.set(r['id'] as number, 1);
  c.socket?.pause(); // the application stops reading: TCP fills up, then the server's buffer
  const body = 'x'.repeat(2000);
  let id = 100_000;
  const total = 8000; // ~16 MB of changes against a 1 MiB outbound limit
  for (let done = 0; done < total && c.closeInfo === undefined; done += 200) {
    const values = Array.from({ length: 200 }, () => `(${id++}, '${body}')`).join(', ');
    await sql(h.url(), alice, `INSERT INTO lim.t (id, body) VALUES ${values}`);
    if (h.server.stats().subscriptions === 0) break; // the server already gave up on it
  }
  // rows and routes went when the server closed it, before the client read a byte more
  expect(h.server.stats().subscriptions).toBe(0);
  c.socket?.resume();
  const closed = await c.waitClose(10_000);
  expect(closed.code).toBe(CloseCode.SLOW_CONSUMER);
  let last = snap.batch_control.last_seq_id as bigint;
  for (const m of c.received) {
    if (m.type !== 'change') continue;
    expect(m.prev_seq).toBe(last);
    last = m.seq as bigint;
    const k = m.rows?.[0]?.['id'] as number;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  const delivered = seen.size;
  const d = await connect();
  d.subscribe('slow', 'SELECT id FROM lim.t', { from: last });
  expect(await d.next('subscription_ack')).toMatchObject({ resumed: true });
  const expected = id - 100_000;
  const missing = expected - (delivered - snap.rows.length);
  expect(missing).toBeGreaterThan(0); // the close really cut the stream
  for (const m of (await d.take(missing, 'change', 15_000)) as ChangeMessage[]) {
    const k = m.rows?.[0]?.['id'] as number;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  expect(await d.settle(100)).toEqual([]);
  expect([...seen.values()].every((v) => v === 1)).toBe(true);
  expect(seen.size).toBe(snap.rows.length + expected);
}, 20_000);

it('a resume backlog larger than the outbound buffer is paced, not cut: all changes arrive, no 4006', async () => {
  let c = await connect();
  c.subscribe('big', 'SELECT * FROM lim.t WHERE id >= 500000', {});
  const snap = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
  c.close();
  await c.waitClose();
  const body = 'y'.repeat(2000);
  for (let base = 500_000; base < 501_500; base += 250) {
    await sql(h.url(), alice, `INSERT INTO lim.t (id, body) VALUES ${Array.from({ length: 250 }, (_, i) => `(${base + i}, '${body}')`).join(', ')}`);
  }
  c = await connect();
  c.subscribe('big', 'SELECT * FROM lim.t WHERE id >= 500000', { from: snap.batch_control.last_seq_id as bigint });
  expect(await c.next('subscription_ack')).toMatchObject({ resumed: true });
  const changes = (await c.take(1500, 'change', 15_000)) as ChangeMessage[];
  expect(new Set(changes.map((m) => m.rows?.[0]?.['id'])).size).toBe(1500); // ~3 MB through a 1 MiB buffer
  expect(c.closeInfo).toBeUndefined();
}, 20_000);

it('a first snapshot batch larger than the outbound limit goes out behind its ack (same tick, corked): no 4006', async () => {
  const body = 'z'.repeat(2000);
  for (let base = 700_000; base < 700_600; base += 200) {
    await sql(h.url(), alice, `INSERT INTO lim.t (id, body) VALUES ${Array.from({ length: 200 }, (_, i) => `(${base + i}, '${body}')`).join(', ')}`);
  }
  const c = await connect();
  c.subscribe('wide', 'SELECT * FROM lim.t WHERE id >= 700000 AND id < 701000', {});
  expect(await c.next('subscription_ack')).toMatchObject({ subscription_id: 'wide' });
  const batch = (await c.next('initial_data_batch', 10_000)) as InitialDataBatchMessage;
  expect(batch.rows.length).toBe(600); // ~1.2 MB in one frame against a 1 MiB outbound limit
  await alive(c);
  expect(c.closeInfo).toBeUndefined();
}, 20_000);
