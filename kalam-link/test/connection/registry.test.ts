/**
 * SubscriptionRegistry unit tests against the scripted server: queueing, pipelined resume,
 * SeqId filtering, gap re-subscribe, reset, unsubscribe during an outage, paging, compat rows.
 */
import { KalamError } from '../../src/errors.js';
import type { ChangeMessage, ServerMessage } from '../../src/protocol/messages.js';
import { SubscriptionRegistry } from '../../src/subscriptions/subscriptionRegistry.js';
import type { SubscriptionEvent } from '../../src/subscriptions/types.js';
import { FakeServer, SCHEMA } from '../support/fakeServer.js';

function setup(batchSize = 2) {
  const server = new FakeServer(batchSize);
  const errors: KalamError[] = [];
  let connects = 0;
  const registry = new SubscriptionRegistry({ ensureConnected: () => void connects++, reportError: (e) => errors.push(e) });
  const deliverAll = (): void => {
    while (server.queue.length > 0) registry.handleMessage(server.queue.shift() as ServerMessage);
  };
  const up = (): void => {
    server.connect();
    registry.connectionReady(server.transport);
  };
  const down = (): void => {
    server.drop();
    registry.connectionLost();
  };
  return { server, registry, errors, deliverAll, up, down, connects: () => connects };
}

function recorder() {
  const events: SubscriptionEvent[] = [];
  return { events, listener: (e: SubscriptionEvent) => events.push(e), types: () => events.map((e) => (e.type === 'status' ? `status:${e.status}` : e.type)) };
}

test('subscribe while down is queued, starts a connection, and all queued subscriptions are sent at once on ready', () => {
  const { server, registry, up, connects } = setup();
  registry.subscribe('SELECT * FROM app.t', { id: 'a' });
  registry.subscribe('SELECT * FROM app.t', { id: 'b', params: [1], batchSize: 10, lastRows: 5 });
  expect(connects()).toBe(2);
  expect(registry.list().map((s) => s.status)).toEqual(['pending', 'pending']);
  up();
  // Both subscribes went out before any reply was processed (pipelined).
  expect(server.received.map((m) => m.type)).toEqual(['subscribe', 'subscribe']);
  expect(server.received[1]).toEqual({ type: 'subscribe', subscription: { id: 'b', sql: 'SELECT * FROM app.t', params: [1], options: { batch_size: 10, last_rows: 5 } } });
});

test('snapshot paging sends next_batch automatically; lastSeqId advances only on the final batch, after listeners ran', () => {
  const { server, registry, up, deliverAll } = setup(2);
  for (let i = 1; i <= 5; i++) server.write('insert', i);
  up();
  const seen: (bigint | undefined)[] = [];
  const sub = registry.subscribe('SELECT * FROM app.t', { id: 'a' }, (e) => {
    if (e.type === 'snapshot') seen.push(sub.lastSeqId);
  });
  deliverAll();
  expect(server.received.filter((m) => m.type === 'next_batch')).toHaveLength(2);
  expect(seen).toEqual([undefined, undefined, undefined]);
  expect(sub.lastSeqId).toBe(server.seq);
  expect(sub.status).toBe('ready');
});

test('resume: every subscription re-sent with from = lastSeqId; changes during the outage replayed once; statuses resuming → ready', () => {
  const { server, registry, up, down, deliverAll } = setup();
  up();
  const a = recorder();
  const subA = registry.subscribe('SELECT * FROM app.t', { id: 'a' }, a.listener);
  const subB = registry.subscribe('SELECT * FROM app.t', { id: 'b' });
  deliverAll();
  server.write('insert', 1);
  deliverAll();
  const resumeFrom = subA.lastSeqId;
  down();
  expect([subA.status, subB.status]).toEqual(['resuming', 'resuming']);
  server.write('insert', 2);
  server.write('delete', 1);
  server.received.length = 0;
  up();
  expect(server.received.map((m) => (m.type === 'subscribe' ? m.subscription.options?.from : m.type))).toEqual([resumeFrom, resumeFrom]);
  deliverAll();
  expect([subA.status, subB.status]).toEqual(['ready', 'ready']);
  expect(a.types().filter((t) => ['insert', 'delete', 'reset'].includes(t))).toEqual(['insert', 'insert', 'delete']);
});

test('a change with seq ≤ lastSeqId is dropped', () => {
  const { server, registry, up, deliverAll } = setup();
  up();
  const a = recorder();
  registry.subscribe('SELECT * FROM app.t', { id: 'a' }, a.listener);
  deliverAll();
  server.write('insert', 1);
  const change = structuredClone(server.queue[0]) as ChangeMessage;
  deliverAll();
  const { prev_seq: _prev, ...withoutPrev } = change;
  registry.handleMessage(withoutPrev);
  registry.handleMessage(change);
  expect(a.types().filter((t) => t === 'insert')).toHaveLength(1);
});

test('gap: prev_seq ≠ lastSeqId → re-subscribe the same id from lastSeqId, ignore its frames until the new ack', () => {
  const { server, registry, up, deliverAll } = setup();
  up();
  const a = recorder();
  const sub = registry.subscribe('SELECT * FROM app.t', { id: 'a' }, a.listener);
  const other = registry.subscribe('SELECT * FROM app.t', { id: 'b' });
  deliverAll();
  const before = sub.lastSeqId;
  server.write('insert', 1);
  server.write('insert', 2);
  // Lose a's first change.
  server.queue.splice(server.queue.findIndex((m) => m.type === 'change' && m.subscription_id === 'a'), 1);
  server.received.length = 0;
  const staleB = server.queue.length;
  registry.handleMessage(server.queue.shift() as ServerMessage); // b's first change: fine
  const gapFrame = server.queue.find((m) => m.type === 'change' && m.subscription_id === 'a');
  registry.handleMessage(gapFrame as ServerMessage);
  expect(sub.status).toBe('resuming');
  expect(server.received).toEqual([{ type: 'subscribe', subscription: { id: 'a', sql: 'SELECT * FROM app.t', options: { from: before } } }]);
  // The stale frame for a (still queued) must be ignored: only the replay after the new ack counts.
  deliverAll();
  expect(a.types().filter((t) => t === 'insert')).toHaveLength(2);
  expect(sub.status).toBe('ready');
  expect(other.lastSeqId).toBe(server.seq);
  expect(staleB).toBeGreaterThan(0);
});

test('resumed: false → reset, lastSeqId cleared, then a fresh snapshot', () => {
  const { registry, server, up, deliverAll } = setup();
  up();
  const a = recorder();
  const sub = registry.subscribe('SELECT * FROM app.t', { id: 'a', from: 5n }, a.listener);
  server.queue = [];
  registry.handleMessage({ type: 'subscription_ack', subscription_id: 'a', total_rows: 1, schema: SCHEMA, resumed: false, batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: 9n } });
  expect(sub.lastSeqId).toBeUndefined();
  registry.handleMessage({ type: 'initial_data_batch', subscription_id: 'a', rows: [{ id: 1, v: 'x', big: '7', _seq: 3n }], batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: 9n } });
  expect(a.types()).toEqual(['reset', 'ack', 'status:loading', 'snapshot', 'status:ready']);
  // Rows older than the old lastSeqId are kept in a fresh snapshot; BIGINT strings become bigint.
  expect(a.events.find((e) => e.type === 'snapshot')).toMatchObject({ rows: [{ id: 1, big: 7n, _seq: 3n }] });
  expect(sub.lastSeqId).toBe(9n);
  deliverAll();
});

test('a snapshot interrupted by a drop restarts from scratch with a reset', () => {
  const { server, registry, up, down, deliverAll } = setup(2);
  for (let i = 1; i <= 5; i++) server.write('insert', i);
  up();
  const a = recorder();
  registry.subscribe('SELECT * FROM app.t', { id: 'a' }, a.listener);
  registry.handleMessage(server.queue.shift() as ServerMessage); // ack
  registry.handleMessage(server.queue.shift() as ServerMessage); // batch 0
  down();
  up();
  expect(server.received.at(-1)).toEqual({ type: 'subscribe', subscription: { id: 'a', sql: 'SELECT * FROM app.t', options: {} } });
  deliverAll();
  expect(a.types().filter((t) => t === 'reset')).toHaveLength(1);
});

test('unsubscribe during an outage is local and never re-sent; unsubscribe is idempotent', () => {
  const { server, registry, up, down, deliverAll } = setup();
  up();
  const sub = registry.subscribe('SELECT * FROM app.t', { id: 'a' });
  const keep = registry.subscribe('SELECT * FROM app.t', { id: 'b' });
  deliverAll();
  down();
  sub.unsubscribe();
  sub.unsubscribe();
  server.received.length = 0;
  up();
  expect(server.received.map((m) => (m.type === 'subscribe' ? m.subscription.id : m.type))).toEqual(['b']);
  expect(registry.list().map((s) => s.id)).toEqual(['b']);
  expect(keep.status).toBe('resuming');
  sub.unsubscribe();
  expect(server.received).toHaveLength(1);
});

test('an error for a pending subscribe ends it (status error, fatal); unsubscribed from the server closes it with the reason code', () => {
  const { registry, up, deliverAll, server } = setup();
  up();
  const a = recorder();
  const sub = registry.subscribe('SELECT * FROM app.nope', { id: 'a' }, a.listener);
  server.queue = [];
  registry.handleMessage({ type: 'error', subscription_id: 'a', code: 'NOT_FOUND', message: 'no table' });
  expect(sub.status).toBe('error');
  expect(a.events.find((e) => e.type === 'error')).toMatchObject({ fatal: true, error: { code: 'NOT_FOUND', subscriptionId: 'a' } });
  const b = recorder();
  const subB = registry.subscribe('SELECT * FROM app.t', { id: 'b' }, b.listener);
  deliverAll();
  registry.handleMessage({ type: 'unsubscribed', subscription_id: 'b', reason: 'killed' });
  expect(subB.status).toBe('closed');
  expect(b.events.find((e) => e.type === 'error')).toMatchObject({ fatal: true, error: { code: 'KILLED' } });
  expect(registry.list()).toEqual([]);
});

test('failAll (killed connection) ends every subscription with a fatal KalamError', () => {
  const { registry } = setup();
  const a = recorder();
  registry.subscribe('SELECT * FROM app.t', { id: 'a' }, a.listener);
  registry.failAll(new KalamError('KILLED', 'killed', { closeCode: 4004 }));
  expect(a.events).toEqual([expect.objectContaining({ type: 'error', fatal: true, error: expect.objectContaining({ code: 'KILLED', subscriptionId: 'a', closeCode: 4004 }) }), { type: 'status', status: 'error' }]);
  expect(registry.list()).toEqual([]);
});

test('KalamDB compat: seq from row _seq, no gap detection without prev_seq, update rows completed with explicit NULLs', () => {
  const { registry, up, server } = setup();
  up();
  const a = recorder();
  const sub = registry.subscribe('SELECT * FROM app.t', { id: 'a' }, a.listener);
  server.queue = [];
  registry.handleMessage({ type: 'subscription_ack', subscription_id: 'a', total_rows: 0, schema: SCHEMA, batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: 10n } });
  registry.handleMessage({ type: 'initial_data_batch', subscription_id: 'a', rows: [], batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: 10n } });
  registry.handleMessage({ type: 'change', subscription_id: 'a', change_type: 'insert', rows: [{ id: 1, v: 'x', big: '5', _seq: 20n }] });
  registry.handleMessage({ type: 'change', subscription_id: 'a', change_type: 'update', rows: [{ id: 1, _seq: 30n }], old_values: [{ id: 1, v: 'x', _seq: 20n }] });
  registry.handleMessage({ type: 'change', subscription_id: 'a', change_type: 'update', rows: [{ id: 1, v: 'late', _seq: 25n }], old_values: [{ id: 1, _seq: 20n }] });
  const changes = a.events.filter((e) => e.type === 'insert' || e.type === 'update');
  expect(changes).toEqual([
    { type: 'insert', row: { id: 1, v: 'x', big: 5n, _seq: 20n }, seq: 20n },
    { type: 'update', row: { id: 1, v: null, big: null, _seq: 30n }, oldRow: { id: 1, v: 'x', _seq: 20n }, seq: 30n },
  ]);
  expect(sub.lastSeqId).toBe(30n);
  expect(server.received.filter((m) => m.type === 'subscribe')).toHaveLength(1);
});

test('a throwing listener is reported and does not stop delivery to the others', () => {
  const { registry, up, deliverAll, errors } = setup();
  up();
  const a = recorder();
  const sub = registry.subscribe('SELECT * FROM app.t', { id: 'a' }, () => {
    throw new Error('boom');
  });
  sub.onEvent(a.listener);
  deliverAll();
  expect(sub.status).toBe('ready');
  expect(a.types()).toContain('snapshot');
  expect(errors[0]?.code).toBe('INTERNAL');
});

test('duplicate ids are refused; closeAll ends everything and refuses new subscriptions', () => {
  const { registry } = setup();
  registry.subscribe('SELECT * FROM app.t', { id: 'a' });
  expect(() => registry.subscribe('SELECT * FROM app.t', { id: 'a' })).toThrow(expect.objectContaining({ code: 'DUPLICATE_SUBSCRIPTION_ID' }));
  registry.closeAll();
  expect(registry.list()).toEqual([]);
  expect(() => registry.subscribe('SELECT 1')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
});
