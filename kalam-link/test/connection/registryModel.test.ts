/**
 * Model test: random subscribe / unsubscribe / write / deliver / drop / reconnect / lost-frame
 * sequences against a scripted server never leak, duplicate or lose a subscription or an event.
 */
import fc from 'fast-check';
import { KalamError } from '../../src/errors.js';
import type { Row } from '../../src/protocol/messages.js';
import { SubscriptionRegistry } from '../../src/subscriptions/subscriptionRegistry.js';
import type { SubscriptionEvent, SubscriptionHandle } from '../../src/subscriptions/types.js';
import { FakeServer } from '../support/fakeServer.js';

class Mirror {
  readonly rows = new Map<number, Row>();
  readonly seqs = new Set<bigint>();
  duplicates = 0;
  /** Events that do not fit the rows held (a lost or repeated event upstream). */
  inconsistencies = 0;
  readonly apply = (e: SubscriptionEvent): void => {
    if (e.type === 'reset') this.rows.clear();
    else if (e.type === 'snapshot') for (const r of e.rows) this.rows.set(r.id as number, r);
    else if (e.type === 'insert' || e.type === 'update' || e.type === 'delete') {
      if (this.seqs.has(e.seq)) this.duplicates++;
      const id = (e.type === 'delete' ? e.oldRow.id : e.row.id) as number;
      const held = this.rows.get(id);
      if (e.type === 'insert' ? held !== undefined : held?._seq !== e.oldRow?._seq) this.inconsistencies++;
      this.seqs.add(e.seq);
      if (e.type === 'delete') this.rows.delete(e.oldRow.id as number);
      else this.rows.set(e.row.id as number, e.row);
    }
  };
}

type Op =
  | { op: 'subscribe'; slot: number }
  | { op: 'unsubscribe'; slot: number }
  | { op: 'write'; kind: 'insert' | 'update' | 'delete'; id: number }
  | { op: 'deliver'; count: number }
  | { op: 'drop' }
  | { op: 'reconnect' }
  | { op: 'lose'; at: number }
  | { op: 'duplicate' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('subscribe' as const), slot: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unsubscribe' as const), slot: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('write' as const), kind: fc.constantFrom('insert' as const, 'update' as const, 'delete' as const), id: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('deliver' as const), count: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'drop' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reconnect' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lose' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'duplicate' as const }) },
);

function run(ops: readonly Op[]): void {
  const server = new FakeServer(2);
  const errors: KalamError[] = [];
  const registry = new SubscriptionRegistry({ ensureConnected: () => undefined, reportError: (e) => errors.push(e) });
  const slots: ({ handle: SubscriptionHandle; mirror: Mirror } | undefined)[] = [];
  const ended: Mirror[] = [];
  let n = 0;
  let lastDelivered: unknown;
  const deliver = (count: number): void => {
    for (let i = 0; i < count && server.queue.length > 0; i++) {
      const message = server.queue.shift();
      if (message?.type === 'change') lastDelivered = structuredClone(message);
      registry.handleMessage(message as never);
    }
  };
  for (const op of ops) {
    switch (op.op) {
      case 'subscribe':
        if (slots[op.slot] === undefined) {
          const mirror = new Mirror();
          slots[op.slot] = { handle: registry.subscribe('SELECT * FROM app.t', { id: `s${++n}` }, mirror.apply), mirror };
        }
        break;
      case 'unsubscribe': {
        const slot = slots[op.slot];
        slot?.handle.unsubscribe();
        if (slot !== undefined) ended.push(slot.mirror);
        slots[op.slot] = undefined;
        break;
      }
      case 'write':
        server.write(op.kind, op.id);
        break;
      case 'deliver':
        deliver(op.count);
        break;
      case 'drop':
        if (server.connected) {
          server.drop();
          registry.connectionLost();
        }
        break;
      case 'reconnect':
        if (!server.connected) {
          server.connect();
          registry.connectionReady(server.transport);
        }
        break;
      case 'lose': {
        // A frame lost upstream (a server bug): prev_seq reveals the gap.
        const changes = server.queue.flatMap((m, i) => (m.type === 'change' ? [i] : []));
        if (changes.length > 0) server.queue.splice(changes[op.at % changes.length] as number, 1);
        break;
      }
      case 'duplicate':
        // A frame delivered twice: the SeqId filter drops it.
        if (lastDelivered !== undefined && server.connected) server.queue.unshift(structuredClone(lastDelivered) as never);
        break;
    }
  }
  if (!server.connected) {
    server.connect();
    registry.connectionReady(server.transport);
  }
  for (let guard = 0; server.queue.length > 0 && guard < 10_000; guard++) deliver(1);
  // A lost frame is only revealed by the next change's prev_seq: one more write settles any tail gap.
  server.write('insert', 99);
  for (let guard = 0; server.queue.length > 0 && guard < 10_000; guard++) deliver(1);
  expect(server.queue).toEqual([]);

  const active = slots.filter((s): s is { handle: SubscriptionHandle; mirror: Mirror } => s !== undefined);
  // No leak: the registry and the server know exactly the active subscriptions.
  expect(registry.list().map((s) => s.id).sort()).toEqual(active.map((s) => s.handle.id).sort());
  expect([...server.registrations.keys()].sort()).toEqual(active.map((s) => s.handle.id).sort());
  const table = (rows: Iterable<Row>) => [...rows].map((r) => [r.id, r.v, r.big]).sort((a, b) => (a[0] as number) - (b[0] as number));
  const expected = table(server.rows.values());
  for (const { handle, mirror } of active) {
    expect(handle.status).toBe('ready');
    expect(mirror.duplicates).toBe(0);
    expect(mirror.inconsistencies).toBe(0);
    // No loss: the materialised rows are exactly the table (values and bigint cells included).
    expect(table(mirror.rows.values())).toEqual(expected);
    expect(handle.lastSeqId !== undefined && handle.lastSeqId <= server.seq).toBe(true);
  }
  for (const mirror of ended) expect([mirror.duplicates, mirror.inconsistencies]).toEqual([0, 0]);
  expect(errors).toEqual([]);
}

test('random subscribe/unsubscribe/drop/reconnect/lost-frame sequences converge exactly', () => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => run(ops)), { numRuns: 300 });
});
