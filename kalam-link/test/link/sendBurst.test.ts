/**
 * On Node's `ws`, the frames a link sends in one task leave in one socket write: the re-subscribe
 * burst after a reconnect must not cost one syscall per subscription, and a lone frame must still
 * leave at the end of its task (real server on port 0; writes counted on the client's TCP socket).
 */
import { createLink, type KalamLink } from '../../src/link.js';
import type { SubscriptionHandle } from '../../src/subscriptions/types.js';
import { adminAuth, eventually, RecordingWs, startTestServer, type TestServer } from '../support/server.js';
import { trackUnhandledRejections } from '../support/rejections.js';

const SUBS = 200;

let t: TestServer;
const links: KalamLink[] = [];
const rejections = trackUnhandledRejections();

beforeAll(async () => {
  t = await startTestServer();
  await t.sql('CREATE NAMESPACE app');
  await t.sql('CREATE USER TABLE app.burst (id INT PRIMARY KEY, v TEXT)');
});
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
  expect(rejections).toEqual([]);
});
afterAll(async () => {
  await t.close();
});

interface RawSocket {
  _write(...args: unknown[]): unknown;
  _writev(...args: unknown[]): unknown;
}

/** Recorded `ws` sockets that count the writes reaching their TCP socket (`_write` / `_writev` calls, i.e. syscalls). */
function countingWs(): { ws: RecordingWs; count: { writes: number } } {
  const count = { writes: 0 };
  const ws = new RecordingWs((socket) => {
    socket.once('open', () => {
      const raw = (socket as unknown as { _socket: RawSocket })._socket;
      for (const method of ['_write', '_writev'] as const) {
        const original = raw[method].bind(raw);
        raw[method] = (...args: unknown[]) => {
          count.writes++;
          return original(...args);
        };
      }
    });
  });
  return { ws, count };
}

function subscribeAll(l: KalamLink): SubscriptionHandle[] {
  const subs: SubscriptionHandle[] = [];
  for (let k = 0; k < SUBS; k++) subs.push(l.subscribe(`SELECT * FROM app.burst WHERE id = ${k}`, { id: `b${k}` }));
  return subs;
}

test('the re-subscribe burst after a drop leaves in a few writes, not one per subscription', async () => {
  const { ws, count } = countingWs();
  const l = createLink({ url: t.url, auth: adminAuth(), WebSocket: ws.WebSocket, reconnect: { baseDelayMs: 10, maxDelayMs: 50, random: () => 0 } });
  links.push(l);
  const subs = subscribeAll(l);
  await eventually(() => subs.every((s) => s.status === 'ready'), 10_000, 'ready');
  await t.sql('INSERT INTO app.burst (id, v) VALUES (1, \'x\'), (150, \'y\')');
  await eventually(() => (subs[1]?.lastSeqId ?? 0n) > 0n && (subs[150]?.lastSeqId ?? 0n) > 0n, 5000, 'changes');

  count.writes = 0;
  ws.dropAll();
  await eventually(() => ws.sockets.length === 2 && l.state === 'ready' && subs.every((s) => s.status === 'ready'), 10_000, 'resumed');
  // authenticate, then every subscribe (resuming from its SeqId) in one corked burst
  expect(count.writes).toBeLessThanOrEqual(4);
  expect(subs.map((s) => s.status)).toEqual(subs.map(() => 'ready'));
  expect(subs[1]?.lastSeqId).toBeGreaterThan(0n);
});

test('a lone frame sent after the burst still leaves at the end of its task', async () => {
  const { ws, count } = countingWs();
  const l = createLink({ url: t.url, auth: adminAuth(), WebSocket: ws.WebSocket });
  links.push(l);
  await l.connect();
  const before = count.writes;
  const seen: string[] = [];
  const sub = l.subscribe('SELECT * FROM app.burst WHERE id = 7', {}, (e) => {
    if (e.type === 'insert') seen.push(String(e.row.v));
  });
  await eventually(() => sub.status === 'ready', 5000, 'ready');
  expect(count.writes).toBe(before + 1);
  await t.sql('INSERT INTO app.burst (id, v) VALUES (7, \'z\')');
  await eventually(() => seen.length === 1, 5000, 'insert');
  expect(seen).toEqual(['z']);
});
