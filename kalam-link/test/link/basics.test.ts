/**
 * kalam-link against the real reference server: lazy connect, one shared socket, independent
 * unsubscribe, resume after a drop with writes (including deletes) during the outage.
 */
import { createLink, type KalamLink } from '../../src/link.js';
import type { Row } from '../../src/protocol/messages.js';
import type { SubscriptionEvent } from '../../src/subscriptions/types.js';
import { adminAuth, eventually, RecordingWs, startTestServer, type TestServer } from '../support/server.js';
import { trackUnhandledRejections } from '../support/rejections.js';

let t: TestServer;
const links: KalamLink[] = [];
const rejections = trackUnhandledRejections();

beforeAll(async () => {
  t = await startTestServer();
  await t.sql('CREATE NAMESPACE app');
});
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
  expect(rejections).toEqual([]);
});
afterAll(async () => {
  await t.close();
});

let n = 0;
async function table(): Promise<string> {
  const name = `app.t${++n}`;
  await t.sql(`CREATE USER TABLE ${name} (id INT PRIMARY KEY, v TEXT, big BIGINT)`);
  return name;
}

function link(ws = new RecordingWs(), serialization: 'msgpack' | 'json' = 'msgpack'): KalamLink {
  const l = createLink({ url: t.url, auth: adminAuth(), WebSocket: ws.WebSocket, serialization, reconnect: { baseDelayMs: 20, maxDelayMs: 100 } });
  links.push(l);
  return l;
}

/** Applies events to a Map keyed by id; counts every change event by seq to catch duplicates. */
class Mirror {
  readonly rows = new Map<number, Row>();
  readonly seqs: bigint[] = [];
  resets = 0;
  readonly apply = (e: SubscriptionEvent): void => {
    if (e.type === 'reset') {
      this.resets++;
      this.rows.clear();
    } else if (e.type === 'snapshot') for (const r of e.rows) this.rows.set(r.id as number, r);
    else if (e.type === 'insert' || e.type === 'update') {
      this.seqs.push(e.seq);
      this.rows.set(e.row.id as number, e.row);
    } else if (e.type === 'delete') {
      this.seqs.push(e.seq);
      this.rows.delete(e.oldRow.id as number);
    }
  };
  ids(): number[] {
    return [...this.rows.keys()].sort((a, b) => a - b);
  }
}

async function serverIds(name: string): Promise<number[]> {
  const [result] = await t.sql(`SELECT id FROM ${name}`);
  return (result?.rows ?? []).map((r) => r.id as number).sort((a, b) => a - b);
}

test.each(['msgpack', 'json'] as const)('lazy connect, one socket for all subscriptions, bigint cells (%s)', async (serialization) => {
  const ws = new RecordingWs();
  const l = link(ws, serialization);
  const name = await table();
  await t.sql(`INSERT INTO ${name} (id, v, big) VALUES (1, 'a', 9007199254740993)`);
  expect(l.state).toBe('idle');
  expect(ws.sockets).toHaveLength(0);
  const mirrors = [new Mirror(), new Mirror(), new Mirror()];
  const subs = mirrors.map((m) => l.subscribe(`SELECT * FROM ${name}`, {}, m.apply));
  await eventually(() => subs.every((s) => s.status === 'ready'), 5000, 'ready');
  expect(ws.sockets).toHaveLength(1);
  // Node's ws hands over its own Buffers: no per-frame ArrayBuffer copy.
  expect(ws.sockets[0]?.binaryType).toBe('nodebuffer');
  const [connections] = await t.sql('SELECT * FROM system.connections');
  expect(connections?.rows).toHaveLength(1);
  expect(mirrors[0]?.rows.get(1)?.big).toBe(9007199254740993n);
  expect(typeof mirrors[0]?.rows.get(1)?._seq).toBe('bigint');
  await t.sql(`INSERT INTO ${name} (id, v, big) VALUES (2, 'b', 5)`);
  await eventually(() => mirrors.every((m) => m.rows.size === 2), 5000, 'insert');
  expect(mirrors[2]?.rows.get(2)?.big).toBe(5n);
});

test('unsubscribe is independent and idempotent', async () => {
  const l = link();
  const name = await table();
  const a = new Mirror();
  const b = new Mirror();
  const subA = l.subscribe(`SELECT * FROM ${name}`, {}, a.apply);
  const subB = l.subscribe(`SELECT * FROM ${name}`, {}, b.apply);
  await eventually(() => subA.status === 'ready' && subB.status === 'ready');
  subA.unsubscribe();
  subA.unsubscribe();
  expect(subA.status).toBe('closed');
  await t.sql(`INSERT INTO ${name} (id, v) VALUES (1, 'x')`);
  await eventually(() => b.rows.size === 1);
  expect(a.rows.size).toBe(0);
  expect(l.listSubscriptions().map((s) => s.id)).toEqual([subB.id]);
  const [live] = await t.sql('SELECT * FROM system.live_queries');
  expect(live?.rows).toHaveLength(1);
});

test('resume after a drop with inserts, updates and deletes during the outage', async () => {
  const ws = new RecordingWs();
  const l = link(ws);
  const name = await table();
  for (let i = 1; i <= 5; i++) await t.sql(`INSERT INTO ${name} (id, v) VALUES (${i}, 'v${i}')`);
  const m = new Mirror();
  const sub = l.subscribe(`SELECT * FROM ${name}`, {}, m.apply);
  await eventually(() => sub.status === 'ready');
  const states: string[] = [];
  l.on('state', (s) => states.push(s.state));
  await l.disconnect().then(() => undefined);
  // An abrupt drop (not disconnect): reconnect + resume.
  await l.connect();
  ws.dropAll();
  // Recorded, not polled: with a 20 ms backoff the link can be ready again between two polls.
  await eventually(() => states.includes('reconnecting'));
  await t.sql(`DELETE FROM ${name} WHERE id = 2`);
  await t.sql(`UPDATE ${name} SET v = 'changed' WHERE id = 3`);
  await t.sql(`INSERT INTO ${name} (id, v) VALUES (6, 'v6')`);
  await eventually(() => l.state === 'ready' && sub.status === 'ready', 5000, 'resumed');
  await eventually(async () => JSON.stringify(m.ids()) === JSON.stringify(await serverIds(name)), 5000, 'rows equal');
  expect(m.rows.get(3)?.v).toBe('changed');
  expect(m.resets).toBe(0);
  expect(new Set(m.seqs).size).toBe(m.seqs.length);
  expect(states).toContain('reconnecting');
});
