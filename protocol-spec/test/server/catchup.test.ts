/**
 * Shared catch-up (live/catchup.ts): many subscriptions of one partition resuming at once, with
 * disjoint, overlapping, unbounded and text ranges and different resume points, each replay
 * exactly their changes (prev_seq chains unbroken, each seq once) and then follow live.
 */
import type { ChangeMessage, InitialDataBatchMessage, ServerMessage, SubscriptionAckMessage } from '@kalam/link/protocol';
import { Client, closeAll, createUser, sql, startHarness, type Harness } from './support/harness.js';

let h: Harness;
let alice: string;
const clients: Client[] = [];

beforeAll(async () => {
  h = await startHarness();
  await sql(h.url(), h.adminToken, 'CREATE NAMESPACE app');
  alice = await createUser(h, 'alice');
});
afterEach(() => closeAll(clients.splice(0)));
afterAll(async () => h.close());

async function connect(): Promise<Client> {
  const c = await Client.connect(h.wsUrl(), alice, { serialization: 'msgpack' });
  clients.push(c);
  return c;
}

/** Rows of one subscription by pk, with the prev_seq chain and exactly-once checked. */
class Mirror {
  readonly rows = new Map<number, string>();
  last = 0n;
  constructor(readonly where: string) {}
  apply(m: ServerMessage): void {
    if (m.type === 'initial_data_batch') {
      const b = m as InitialDataBatchMessage;
      for (const r of b.rows) this.rows.set(Number(r['id']), String(r['v']));
      if (!b.batch_control.has_more) this.last = b.batch_control.last_seq_id as bigint;
      return;
    }
    if (m.type !== 'change') return;
    const c = m as ChangeMessage;
    expect(c.prev_seq).toBe(this.last);
    expect(c.seq as bigint > this.last).toBe(true);
    this.last = c.seq as bigint;
    if (c.change_type === 'delete') this.rows.delete(Number(c.old_values?.[0]?.['id']));
    else this.rows.set(Number(c.rows?.[0]?.['id']), String(c.rows?.[0]?.['v']));
  }
  key(): string {
    return [...this.rows].sort((a, b) => a[0] - b[0]).map(([id, v]) => `${id}=${v}`).join(',');
  }
}

function route(mirrors: Map<string, Mirror>, messages: readonly ServerMessage[]): void {
  for (const m of messages) {
    const id = (m as { subscription_id?: string }).subscription_id;
    if (m.type === 'error') throw new Error(`error: ${JSON.stringify(m)}`);
    if (id !== undefined) mirrors.get(id)?.apply(m);
  }
}

async function expected(t: string, where: string): Promise<string> {
  const [res] = await sql(h.url(), alice, `SELECT id, v FROM ${t} WHERE ${where}`);
  return (res?.rows ?? []).map((r) => [Number(r['id']), String(r['v'])] as const).sort((a, b) => a[0] - b[0]).map(([id, v]) => `${id}=${v}`).join(',');
}

it('a mass resume replays each subscription exactly its changes, then live', async () => {
  const t = 'app.mass';
  await sql(h.url(), h.adminToken, `CREATE USER TABLE ${t} (id INT PRIMARY KEY, v TEXT, keep BOOLEAN)`);
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES ${Array.from({ length: 60 }, (_, i) => `(${i}, 'a', true)`).join(', ')}`);
  const wheres = [
    ...Array.from({ length: 12 }, (_, k) => `id >= ${k * 5} AND id < ${k * 5 + 5}`),
    'id BETWEEN 10 AND 40',
    'id > 30 AND keep = true',
    '25 >= id',
    'keep = true',
    "v <> 'zz'",
    "v = 'x'",
    'id = 7 OR id = 50',
  ];
  const mirrors = new Map(wheres.map((w, i) => [`s${i}`, new Mirror(w)] as const));
  const half = Math.floor(wheres.length / 2);
  let c = await connect();
  const subscribe = (from: number, to: number): void => {
    for (let i = from; i < to; i++) c.subscribe(`s${i}`, `SELECT * FROM ${t} WHERE ${wheres[i]}`, {});
  };
  subscribe(0, half);
  await c.take(half, 'subscription_ack');
  route(mirrors, await c.settle(150));
  await sql(h.url(), alice, `UPDATE ${t} SET v = 'b' WHERE id < 20`);
  subscribe(half, wheres.length); // a later snapshot point: these resume from a later seq
  await c.take(wheres.length - half, 'subscription_ack');
  await sql(h.url(), alice, `DELETE FROM ${t} WHERE id = 3`);
  route(mirrors, await c.settle(150));

  c.reset();
  await c.waitClose();
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES ${Array.from({ length: 10 }, (_, i) => `(${60 + i}, 'n', true)`).join(', ')}`);
  await sql(h.url(), alice, `UPDATE ${t} SET v = 'x' WHERE id >= 8 AND id < 14`);
  await sql(h.url(), alice, `UPDATE ${t} SET keep = false WHERE id >= 28 AND id < 36`);
  await sql(h.url(), alice, `DELETE FROM ${t} WHERE id = 50 OR id = 11 OR id = 64`);
  await sql(h.url(), alice, `UPDATE ${t} SET v = 'zz' WHERE id = 12`);
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES (3, 'back', false)`);

  c = await connect();
  for (const [id, m] of mirrors) c.subscribe(id, `SELECT * FROM ${t} WHERE ${m.where}`, { from: m.last });
  const acks = (await c.take(wheres.length, 'subscription_ack')) as SubscriptionAckMessage[];
  expect(acks.every((a) => a.resumed === true)).toBe(true);
  await sql(h.url(), alice, `INSERT INTO ${t} (id, v, keep) VALUES (100, 'x', true)`); // live, after the replay
  const deadline = Date.now() + 5000;
  for (;;) {
    route(mirrors, await c.settle(50));
    const want = await Promise.all([...mirrors.values()].map((m) => expected(t, m.where)));
    const got = [...mirrors.values()].map((m) => m.key());
    if (want.every((w, i) => w === got[i]) || Date.now() > deadline) {
      expect(got).toEqual(want);
      break;
    }
  }
  expect(c.received.filter((m) => m.type === 'initial_data_batch')).toEqual([]);
});
