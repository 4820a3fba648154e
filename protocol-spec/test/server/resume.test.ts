/**
 * Snapshot/live boundary and resume with `from`: exactly once, across drops, retention and
 * server restarts.
 */
import type { ChangeMessage, InitialDataBatchMessage, ServerMessage, SubscriptionAckMessage } from '@kalam/link/protocol';
import { Client, closeAll, createUser, login, sql, startHarness, type Harness } from './support/harness.js';

let h: Harness;
let alice: string;
const clients: Client[] = [];
let n = 0;

beforeAll(async () => {
  h = await startHarness();
  await sql(h.url(), h.adminToken, 'CREATE NAMESPACE app');
  alice = await createUser(h, 'alice');
});
afterEach(() => closeAll(clients.splice(0)));
afterAll(async () => h.close());

async function table(): Promise<string> {
  const name = `app.r${++n}`;
  await sql(h.url(), h.adminToken, `CREATE USER TABLE ${name} (id INT PRIMARY KEY, v TEXT, keep BOOLEAN)`);
  return name;
}

async function connect(token = alice): Promise<Client> {
  const c = await Client.connect(h.wsUrl(), token, { serialization: 'msgpack' });
  clients.push(c);
  return c;
}

/** A tiny materialiser applying events by pk, checking prev_seq chains and exactly-once. */
class Mirror {
  readonly rows = new Map<unknown, Record<string, unknown>>();
  last = 0n;
  seen = new Set<bigint>();
  snapshot(batch: InitialDataBatchMessage): void {
    for (const r of batch.rows) this.rows.set(r['id'], { ...r });
    if (!batch.batch_control.has_more) this.last = batch.batch_control.last_seq_id as bigint;
  }
  apply(m: ChangeMessage): void {
    expect(m.prev_seq).toBe(this.last);
    expect(this.seen.has(m.seq as bigint)).toBe(false);
    this.seen.add(m.seq as bigint);
    this.last = m.seq as bigint;
    if (m.change_type === 'delete') this.rows.delete(m.old_values?.[0]?.['id']);
    else this.rows.set(m.rows?.[0]?.['id'], { ...m.rows?.[0] });
  }
  ids(): unknown[] {
    return [...this.rows.keys()].sort((a, b) => Number(a) - Number(b));
  }
}

async function serverIds(t: string, where = ''): Promise<unknown[]> {
  const [res] = await sql(h.url(), alice, `SELECT id FROM ${t} ${where}`);
  return (res?.rows ?? []).map((r) => r['id']).sort((a, b) => Number(a) - Number(b));
}

it('resume after a dropped socket replays inserts, updates, deletes and WHERE exits exactly once', async () => {
  const t = await table();
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES (1, 'a', true), (2, 'b', true), (3, 'c', true), (4, 'd', true)`);
  const mirror = new Mirror();
  const q = `SELECT * FROM ${t} WHERE keep = true`;
  let c = await connect();
  c.subscribe('s', q, {});
  mirror.snapshot((await c.next('initial_data_batch')) as InitialDataBatchMessage);
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES (5, 'e', true)`);
  mirror.apply((await c.next('change')) as ChangeMessage);
  const before = mirror.last;

  c.reset();
  await c.waitClose();
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES (6, 'f', true), (7, 'hidden', false)`);
  await sql(h.url(), alice, `UPDATE ${t} SET v = 'A' WHERE id = 1`);
  await sql(h.url(), alice, `DELETE FROM ${t} WHERE id = 2`);
  await sql(h.url(), alice, `UPDATE ${t} SET keep = false WHERE id = 3`); // leaves
  await sql(h.url(), alice, `UPDATE ${t} SET keep = true WHERE id = 7`); // enters
  await sql(h.url(), alice, `UPDATE ${t} SET v = 'quiet' WHERE id = 3`); // invisible

  c = await connect();
  c.subscribe('s', q, { from: before });
  const ack = (await c.next('subscription_ack')) as SubscriptionAckMessage;
  expect(ack.resumed).toBe(true);
  expect(ack.batch_control).toEqual({ batch_num: 0, has_more: false, status: 'ready', last_seq_id: before });
  const replay = (await c.take(5, 'change')) as ChangeMessage[];
  expect(replay.map(label)).toEqual(['insert:6', 'update:1', 'delete:2', 'delete:3', 'insert:7']);
  for (const m of replay) mirror.apply(m);
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES (8, 'live', true)`);
  mirror.apply((await c.next('change')) as ChangeMessage);
  expect(c.received.filter((m) => m.type === 'initial_data_batch')).toEqual([]);
  expect(mirror.ids()).toEqual(await serverIds(t, 'WHERE keep = true'));
  expect(mirror.rows.get(1)?.['v']).toBe('A');
});

function label(m: ServerMessage): string {
  const c = m as ChangeMessage;
  return `${c.change_type}:${String(c.rows?.[0]?.['id'] ?? c.old_values?.[0]?.['id'])}`;
}

it('snapshot/live boundary under concurrent writes: every row exactly once, changes only after the last batch', async () => {
  const t = await table();
  const seed = Array.from({ length: 30 }, (_, i) => `(${i + 1}, 'seed', true)`).join(', ');
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES ${seed}`);
  const c = await connect();
  let writing = true;
  let next = 100;
  const writer = (async () => {
    while (writing) await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES (${next++}, 'w', true)`);
  })();
  await new Promise((r) => setTimeout(r, 30));
  c.subscribe('b', `SELECT * FROM ${t}`, { batch_size: 7 });
  const mirror = new Mirror();
  for (;;) {
    // In wire order, the next batch comes before any change (changes after the final batch may already be queued behind it).
    const batch = (await c.next((m) => m.type === 'initial_data_batch' || m.type === 'change')) as InitialDataBatchMessage;
    expect(batch.type).toBe('initial_data_batch');
    mirror.snapshot(batch);
    if (!batch.batch_control.has_more) break;
    await new Promise((r) => setTimeout(r, 15)); // let writes land between batches
    c.send({ type: 'next_batch', subscription_id: 'b', last_seq_id: batch.batch_control.last_seq_id });
  }
  await new Promise((r) => setTimeout(r, 100));
  writing = false;
  await writer;
  const expected = await serverIds(t);
  const deadline = Date.now() + 5000;
  while (mirror.ids().length < expected.length && Date.now() < deadline) {
    mirror.apply((await c.next('change')) as ChangeMessage);
  }
  expect(mirror.ids()).toEqual(expected);
  expect(await c.settle(100)).toEqual([]);
  expect(expected.length).toBeGreaterThan(35); // writes really were concurrent
});

it('resume from a SeqId older than the retained change log → resumed:false and a fresh snapshot', async () => {
  await h.restart({ changelogRetentionEntries: 5 });
  try {
    const token = (await login(h.url(), 'alice', 'alice-pw')).access_token;
    const t = await table();
    await sql(h.url(), token, `INSERT INTO ${t} (id, v, keep) VALUES (1, 'a', true)`);
    let c = await connect(token);
    c.subscribe('s', `SELECT * FROM ${t}`, {});
    const first = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
    c.close();
    for (let i = 2; i < 12; i++) await sql(h.url(), token, `INSERT INTO ${t} (id, v, keep) VALUES (${i}, 'x', true)`);
    c = await connect(token);
    c.subscribe('s', `SELECT * FROM ${t}`, { from: first.batch_control.last_seq_id as bigint });
    const ack = (await c.next('subscription_ack')) as SubscriptionAckMessage;
    expect(ack.resumed).toBe(false);
    const batch = (await c.next('initial_data_batch')) as InitialDataBatchMessage;
    expect(batch.rows.map((r) => r['id'])).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    // a SeqId from the future (another lineage) cannot be resumed either
    c.subscribe('f', `SELECT * FROM ${t}`, { from: (1n << 62n) });
    expect(await c.next((m) => m.type === 'subscription_ack' && m.subscription_id === 'f')).toMatchObject({ resumed: false });
  } finally {
    await h.restart({ changelogRetentionEntries: 1_000_000 });
  }
});

it('resumes across a server restart from a SeqId issued before it', async () => {
  const t = await table();
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES (1, 'a', true), (2, 'b', true)`);
  let c = await connect();
  c.subscribe('s', `SELECT * FROM ${t}`, {});
  const mirror = new Mirror();
  mirror.snapshot((await c.next('initial_data_batch')) as InitialDataBatchMessage);
  await sql(h.url(), alice, `UPDATE ${t} SET v = 'before restart' WHERE id = 1`);
  const seen = (await c.next('change')) as ChangeMessage;
  mirror.apply(seen);
  const closing = c.waitClose();
  await h.restart();
  expect((await closing).code).toBe(1001);
  await sql(h.url(), alice, `DELETE FROM ${t} WHERE id = 2`);
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES (3, 'after restart', true)`);
  c = await connect();
  c.subscribe('s', `SELECT * FROM ${t}`, { from: mirror.last });
  expect(await c.next('subscription_ack')).toMatchObject({ resumed: true });
  for (const m of (await c.take(2, 'change')) as ChangeMessage[]) mirror.apply(m);
  expect(mirror.ids()).toEqual([1, 3]);
  expect(await c.settle(100)).toEqual([]);
  expect((mirror.last > (seen.seq as bigint))).toBe(true);
});
