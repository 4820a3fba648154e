import fc from 'fast-check';
import { KalamError } from '../../src/errors.js';
import type { Row, SchemaField } from '../../src/protocol/messages.js';
import { LiveRows } from '../../src/subscriptions/liveRows.js';
import type { SnapshotEvent, SubscriptionEvent } from '../../src/subscriptions/types.js';
import { todoSchema } from './fakeHandle.js';

const ack = (schema: readonly SchemaField[] = todoSchema, resumed?: boolean): SubscriptionEvent => ({ type: 'ack', schema, resumed });
const batch = (rows: readonly Row[], final: boolean, lastSeq: bigint | null = null, batchNum = 0): SnapshotEvent => ({
  type: 'snapshot',
  rows,
  final,
  batch: { batch_num: batchNum, has_more: !final, status: final ? 'ready' : batchNum === 0 ? 'loading' : 'loading_batch', last_seq_id: lastSeq },
});
const todo = (id: bigint, title: string | null, seq: bigint, done = false): Row => ({ id, title, done, _seq: seq });

function loaded(rows: readonly Row[] = [todo(1n, 'a', 10n), todo(2n, 'b', 11n), todo(3n, 'c', 12n)]): LiveRows {
  const live = new LiveRows();
  live.apply(ack());
  live.apply(batch(rows, true, 20n));
  return live;
}

describe('LiveRows: events', () => {
  test('starts empty and pending, with a frozen snapshot object', () => {
    const live = new LiveRows();
    const snap = live.getSnapshot();
    expect(snap).toEqual({ rows: [], status: 'pending', error: undefined, lastSeqId: undefined });
    expect(Object.isFrozen(snap)).toBe(true);
  });

  test('snapshot batches accumulate, the final batch sets ready and lastSeqId', () => {
    const live = new LiveRows();
    live.apply(ack());
    live.apply(batch([todo(1n, 'a', 1n)], false, 1n));
    expect(live.getSnapshot()).toMatchObject({ status: 'loading', lastSeqId: undefined });
    live.apply(batch([todo(2n, 'b', 2n)], false, 2n, 1));
    live.apply(batch([todo(3n, 'c', 3n)], true, 50n, 2));
    const snap = live.getSnapshot();
    expect(snap.rows.map((r) => r['id'])).toEqual([1n, 2n, 3n]);
    expect(snap.status).toBe('ready');
    expect(snap.lastSeqId).toBe(50n);
  });

  test('insert appends, update replaces in place, delete removes; lastSeqId follows each change', () => {
    const live = loaded();
    live.apply({ type: 'insert', row: todo(4n, 'd', 21n), seq: 21n });
    live.apply({ type: 'update', row: todo(2n, 'B', 22n, true), oldRow: todo(2n, 'b', 11n), seq: 22n });
    live.apply({ type: 'delete', oldRow: todo(1n, 'a', 10n), seq: 23n });
    const snap = live.getSnapshot();
    expect(snap.rows).toEqual([todo(2n, 'B', 22n, true), todo(3n, 'c', 12n), todo(4n, 'd', 21n)]);
    expect(snap.lastSeqId).toBe(23n);
  });

  test('a row leaving and re-entering the WHERE (delete then insert) moves to the end', () => {
    const live = loaded();
    live.apply({ type: 'delete', oldRow: todo(1n, 'a', 10n), seq: 21n });
    live.apply({ type: 'insert', row: todo(1n, 'a2', 22n), seq: 22n });
    expect(live.getSnapshot().rows.map((r) => r['id'])).toEqual([2n, 3n, 1n]);
  });

  test('explicit NULLs in an update are kept', () => {
    const live = loaded();
    live.apply({ type: 'update', row: todo(1n, null, 21n), oldRow: todo(1n, 'a', 10n), seq: 21n });
    expect(live.get('1')).toEqual({ id: 1n, title: null, done: false, _seq: 21n });
  });

  test('KalamDB-style update: a column absent from row but present in oldRow becomes null', () => {
    const live = loaded();
    // rows = non-null columns + pk + _seq; old_values = changed columns + pk + _seq
    live.apply({ type: 'update', row: { id: 1n, done: true, _seq: 21n }, oldRow: { id: 1n, title: 'a', done: false, _seq: 10n }, seq: 21n });
    expect(live.get('1')).toEqual({ id: 1n, title: null, done: true, _seq: 21n });
  });

  test('KalamDB-style update: schema columns absent from row become null, even when oldRow omits them', () => {
    const live = loaded([{ id: 1n, title: null, done: false, _seq: 10n }]);
    live.apply({ type: 'update', row: { id: 1n, done: true, _seq: 21n }, oldRow: { id: 1n, done: false, _seq: 10n }, seq: 21n });
    expect(live.get('1')).toEqual({ id: 1n, title: null, done: true, _seq: 21n });
  });

  test('an update for an unknown key inserts it; a delete of an unknown key changes nothing', () => {
    const live = loaded();
    const before = live.getSnapshot();
    expect(live.apply({ type: 'delete', oldRow: todo(9n, 'x', 5n), seq: 21n })).toBe(true); // lastSeqId moved
    expect(live.getSnapshot().rows).toBe(before.rows);
    live.apply({ type: 'update', row: todo(9n, 'x', 22n), oldRow: todo(9n, 'w', 5n), seq: 22n });
    expect(live.get('9')).toEqual(todo(9n, 'x', 22n));
  });

  test('an update that changes the key moves the row to its new key, in place', () => {
    const live = loaded();
    live.apply({ type: 'update', row: todo(7n, 'b', 21n), oldRow: todo(2n, 'b', 11n), seq: 21n });
    expect(live.get('2')).toBeUndefined();
    expect(live.getSnapshot().rows.map((r) => r['id'])).toEqual([1n, 3n, 7n]);
  });

  test('reset drops every row and the next snapshot rebuilds', () => {
    const live = loaded();
    live.apply({ type: 'reset' });
    expect(live.getSnapshot()).toMatchObject({ rows: [], status: 'loading' });
    live.apply(ack(todoSchema, false));
    live.apply(batch([todo(3n, 'c', 12n), todo(5n, 'e', 30n)], true, 40n));
    expect(live.getSnapshot()).toMatchObject({ rows: [todo(3n, 'c', 12n), todo(5n, 'e', 30n)], status: 'ready', lastSeqId: 40n });
  });

  test('an ack with resumed:false drops the rows; resumed:true keeps them', () => {
    const live = loaded();
    live.apply(ack(todoSchema, true));
    expect(live.size).toBe(3);
    live.apply(ack(todoSchema, false));
    expect(live.size).toBe(0);
  });

  test('an ack without resumed that interrupts an unfinished snapshot drops the partial rows', () => {
    const live = new LiveRows();
    live.apply(ack());
    live.apply(batch([todo(1n, 'a', 1n), todo(2n, 'b', 2n)], false, 2n));
    live.apply(ack()); // re-subscribed from scratch: a whole new snapshot follows
    expect(live.size).toBe(0);
    live.apply(batch([todo(2n, 'b', 2n)], true, 9n));
    expect(live.getSnapshot().rows).toEqual([todo(2n, 'b', 2n)]);
  });

  test('an ack without resumed after a complete snapshot keeps rows (KalamDB resume: newer rows follow as a snapshot)', () => {
    const live = loaded();
    live.apply(ack());
    live.apply(batch([todo(2n, 'B', 25n), todo(6n, 'f', 26n)], true, 26n));
    expect(live.getSnapshot().rows.map((r) => [r['id'], r['title']])).toEqual([
      [1n, 'a'],
      [2n, 'B'],
      [3n, 'c'],
      [6n, 'f'],
    ]);
  });

  test('status: dropping rows (reset or ack resumed:false) goes back to loading; a resume snapshot while resuming does not', () => {
    const live = loaded();
    live.apply(ack(todoSchema, false));
    expect(live.getSnapshot().status).toBe('loading');
    live.apply(batch([todo(1n, 'a', 10n)], true, 20n));
    live.apply({ type: 'status', status: 'resuming' });
    live.apply(ack());
    live.apply(batch([todo(4n, 'd', 21n)], false, 21n));
    expect(live.getSnapshot()).toMatchObject({ status: 'resuming' });
    expect(live.size).toBe(2);
  });

  test('duplicate snapshot rows upsert', () => {
    const live = new LiveRows();
    live.apply(ack());
    live.apply(batch([todo(1n, 'a', 1n), todo(1n, 'a', 1n), todo(2n, 'b', 2n)], false, 2n));
    live.apply(batch([todo(2n, 'b', 2n), todo(1n, 'a1', 3n)], true, 3n, 1));
    expect(live.getSnapshot().rows).toEqual([todo(1n, 'a1', 3n), todo(2n, 'b', 2n)]);
  });

  test('status and error events; a later ready clears a non-fatal error, a fatal one sets status error', () => {
    const live = loaded();
    const transient = new KalamError('RATE_LIMIT_EXCEEDED', 'slow down');
    live.apply({ type: 'status', status: 'resuming' });
    live.apply({ type: 'error', error: transient, fatal: false });
    expect(live.getSnapshot()).toMatchObject({ status: 'resuming', error: transient });
    live.apply({ type: 'status', status: 'ready' });
    expect(live.getSnapshot().error).toBeUndefined();
    const fatal = new KalamError('KILLED', 'killed');
    live.apply({ type: 'error', error: fatal, fatal: true });
    expect(live.getSnapshot()).toMatchObject({ status: 'error', error: fatal });
    expect(live.size).toBe(3);
  });
});

describe('LiveRows: keys', () => {
  const schema: readonly SchemaField[] = [
    { name: 'tenant', data_type: 'Text', index: 0, flags: ['pk'] },
    { name: 'id', data_type: 'Int', index: 1, flags: ['pk', 'nn'] },
    { name: 'v', data_type: 'Text', index: 2 },
  ];

  test('composite primary keys from the schema', () => {
    const live = new LiveRows();
    live.apply(ack(schema));
    live.apply(batch([{ tenant: 'a', id: 1, v: 'x', _seq: 1n }, { tenant: 'b', id: 1, v: 'y', _seq: 2n }], true, 2n));
    live.apply({ type: 'update', row: { tenant: 'b', id: 1, v: 'Y', _seq: 3n }, oldRow: { tenant: 'b', id: 1, v: 'y', _seq: 2n }, seq: 3n });
    live.apply({ type: 'delete', oldRow: { tenant: 'a', id: 1, v: 'x', _seq: 1n }, seq: 4n });
    expect(live.getSnapshot().rows).toEqual([{ tenant: 'b', id: 1, v: 'Y', _seq: 3n }]);
  });

  test('composite parts cannot collide through separators', () => {
    const live = new LiveRows({ key: ['a', 'b'] });
    live.apply(batch([{ a: 'x","y', b: 'z', _seq: 1n }, { a: 'x', b: 'y","z', _seq: 2n }], true, 2n));
    expect(live.size).toBe(2);
  });

  test('explicit key option: column name, and a function', () => {
    const byName = new LiveRows({ key: 'v' });
    byName.apply(ack(schema));
    byName.apply(batch([{ tenant: 'a', id: 1, v: 'same', _seq: 1n }, { tenant: 'b', id: 2, v: 'same', _seq: 2n }], true, 2n));
    expect(byName.size).toBe(1);
    const byFn = new LiveRows<{ tenant: string; id: number }>({ key: (row) => `${row.tenant}` });
    byFn.apply(batch([{ tenant: 'a', id: 1, _seq: 1n }, { tenant: 'a', id: 2, _seq: 2n }], true, 2n));
    expect(byFn.getSnapshot().rows).toEqual([{ tenant: 'a', id: 2, _seq: 2n }]);
  });

  test('a BIGINT key matches whether it arrives as bigint, number or decimal string', () => {
    const live = loaded();
    live.apply({ type: 'delete', oldRow: { id: '2', title: 'b', done: false, _seq: 11n }, seq: 21n });
    live.apply({ type: 'delete', oldRow: { id: 3, title: 'c', done: false, _seq: 12n }, seq: 22n });
    expect(live.getSnapshot().rows.map((r) => r['id'])).toEqual([1n]);
  });

  test('without pk flags or key option, the whole row minus _seq is the key', () => {
    const live = new LiveRows();
    live.apply(ack([{ name: 'a', data_type: 'Int', index: 0 }]));
    live.apply(batch([{ a: 1, _seq: 1n }, { a: 2, _seq: 2n }], true, 2n));
    live.apply({ type: 'delete', oldRow: { a: 1, _seq: 1n }, seq: 3n });
    expect(live.getSnapshot().rows).toEqual([{ a: 2, _seq: 2n }]);
  });

  test('a later ack with different pk columns re-keys the rows held, keeping their order', () => {
    const live = new LiveRows();
    live.apply(batch([{ a: 1, b: 'x', _seq: 1n }, { a: 2, b: 'y', _seq: 2n }], true, 2n)); // no schema yet: whole-row keys
    expect(live.keyOf({ a: 1, b: 'x', _seq: 1n })).not.toBe('1');
    live.apply(ack([{ name: 'a', data_type: 'Int', index: 0, flags: ['pk'] }, { name: 'b', data_type: 'Text', index: 1 }], true));
    expect(live.get('1')).toEqual({ a: 1, b: 'x', _seq: 1n });
    live.apply({ type: 'update', row: { a: 1, b: 'z', _seq: 3n }, oldRow: { a: 1, b: 'x', _seq: 1n }, seq: 3n });
    expect(live.getSnapshot().rows).toEqual([{ a: 1, b: 'z', _seq: 3n }, { a: 2, b: 'y', _seq: 2n }]);
  });

  test('rows that lack the key column are ignored', () => {
    const live = loaded();
    expect(live.apply({ type: 'insert', row: { title: 'no id', _seq: 30n }, seq: 30n })).toBe(true);
    expect(live.size).toBe(3);
  });

  test('sort comparator orders rows', () => {
    const live = new LiveRows({ sort: (a, b) => String(a['title']).localeCompare(String(b['title'])) });
    live.apply(ack());
    live.apply(batch([todo(1n, 'c', 1n), todo(2n, 'a', 2n)], true, 2n));
    live.apply({ type: 'insert', row: todo(3n, 'b', 3n), seq: 3n });
    expect(live.getSnapshot().rows.map((r) => r['title'])).toEqual(['a', 'b', 'c']);
  });
});

describe('LiveRows: stale guard (per-row _seq)', () => {
  test('an insert/update with an older _seq than the stored row is ignored; an equal one is an idempotent upsert', () => {
    const live = loaded();
    live.apply({ type: 'update', row: todo(1n, 'new', 30n), oldRow: todo(1n, 'a', 10n), seq: 30n });
    const rows = live.getSnapshot().rows;
    expect(live.apply({ type: 'update', row: todo(1n, 'stale', 25n), oldRow: todo(1n, 'a', 10n), seq: 25n })).toBe(false);
    expect(live.apply({ type: 'insert', row: todo(1n, 'new', 30n), seq: 30n })).toBe(false);
    expect(live.getSnapshot().rows).toBe(rows);
    expect(live.get('1')?.['title']).toBe('new');
  });

  test('a delete whose old version is older than the stored row is ignored (replayed delete before a re-insert)', () => {
    const live = loaded();
    live.apply({ type: 'delete', oldRow: todo(1n, 'a', 10n), seq: 21n });
    live.apply({ type: 'insert', row: todo(1n, 'again', 22n), seq: 22n });
    live.apply({ type: 'delete', oldRow: todo(1n, 'a', 10n), seq: 21n });
    expect(live.get('1')?.['title']).toBe('again');
  });

  test('a delete dated only by the stored version (KalamDB compat) is applied', () => {
    const live = loaded();
    live.apply({ type: 'delete', oldRow: todo(1n, 'a', 10n), seq: 10n });
    expect(live.get('1')).toBeUndefined();
  });

  test('_seq as decimal string or number is understood; rows without _seq are never stale', () => {
    const live = new LiveRows({ key: 'id' });
    live.apply(batch([{ id: 1, v: 'a', _seq: '100' }], true, 100n));
    expect(live.apply({ type: 'insert', row: { id: 1, v: 'old', _seq: 99 }, seq: 101n })).toBe(true); // lastSeqId moved only
    expect(live.get('1')?.['v']).toBe('a');
    live.apply({ type: 'insert', row: { id: 1, v: 'no seq' }, seq: 102n });
    expect(live.get('1')?.['v']).toBe('no seq');
  });
});

describe('LiveRows: identity and notifications', () => {
  test('getSnapshot is the same object until something changes', () => {
    const live = loaded();
    const a = live.getSnapshot();
    expect(live.getSnapshot()).toBe(a);
    live.apply({ type: 'status', status: 'ready' }); // no change
    expect(live.getSnapshot()).toBe(a);
    live.apply({ type: 'status', status: 'resuming' });
    const b = live.getSnapshot();
    expect(b).not.toBe(a);
    expect(b.rows).toBe(a.rows); // status only: same rows array
  });

  test('unchanged rows keep their identity across changes; the changed row is a new object', () => {
    const live = loaded();
    const before = live.getSnapshot().rows;
    live.apply({ type: 'update', row: todo(2n, 'B', 21n), oldRow: todo(2n, 'b', 11n), seq: 21n });
    const after = live.getSnapshot().rows;
    expect(after).not.toBe(before);
    expect(after[0]).toBe(before[0]);
    expect(after[2]).toBe(before[2]);
    expect(after[1]).not.toBe(before[1]);
  });

  test('an upsert equal to the stored row changes nothing and does not notify', () => {
    const live = loaded();
    const listener = jest.fn();
    live.subscribe(listener);
    const snap = live.getSnapshot();
    expect(live.apply(batch([todo(1n, 'a', 10n)], false, 10n))).toBe(false);
    expect(live.apply({ type: 'insert', row: todo(2n, 'b', 11n), seq: 11n })).toBe(false);
    expect(listener).not.toHaveBeenCalled();
    expect(live.getSnapshot().rows).toBe(snap.rows);
  });

  test('a 1,000-row snapshot batch notifies once; batch() coalesces several events', () => {
    const live = new LiveRows();
    const listener = jest.fn();
    live.subscribe(listener);
    live.apply(ack());
    listener.mockClear();
    const rows = Array.from({ length: 1000 }, (_, i) => todo(BigInt(i), `t${i}`, BigInt(i + 1)));
    live.apply(batch(rows, true, 1000n));
    expect(listener).toHaveBeenCalledTimes(1);
    expect(live.getSnapshot().rows).toHaveLength(1000);
    live.batch(() => {
      for (let i = 0; i < 10; i++) live.apply({ type: 'delete', oldRow: rows[i] as Row, seq: BigInt(2000 + i) });
    });
    expect(listener).toHaveBeenCalledTimes(2);
    expect(live.size).toBe(990);
  });

  test('unsubscribe stops notifications; a throwing listener does not starve the others', () => {
    const live = loaded();
    const good = jest.fn();
    const off = live.subscribe(() => {
      throw new Error('boom');
    });
    live.subscribe(good);
    expect(() => live.apply({ type: 'insert', row: todo(8n, 'h', 30n), seq: 30n })).toThrow('boom');
    expect(good).toHaveBeenCalledTimes(1);
    off();
    live.apply({ type: 'insert', row: todo(9n, 'i', 31n), seq: 31n });
    expect(good).toHaveBeenCalledTimes(2);
  });

  test('a reset of an empty set with unchanged status is not a change', () => {
    const live = new LiveRows();
    const snap = live.getSnapshot();
    expect(live.apply({ type: 'reset' })).toBe(false);
    expect(live.getSnapshot()).toBe(snap);
  });
});

describe('LiveRows: patched rows arrays', () => {
  // A few changes between reads patch the previous array; many rebuild it from the Map. Either
  // way `rows` must be the Map's order (a set keeps an existing key's place, a new key goes last).
  type Step = { kind: 'upsert'; id: number; v: number } | { kind: 'delete'; id: number } | { kind: 'move'; from: number; to: number } | { kind: 'read' };
  test.each([1, 3, 12])('random upserts, deletes and key moves read every %i events equal the Map order, rows by identity', (every) => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('upsert' as const), id: fc.integer({ min: 0, max: 11 }), v: fc.integer({ min: 0, max: 3 }) }),
            fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 11 }) }),
            fc.record({ kind: fc.constant('move' as const), from: fc.integer({ min: 0, max: 11 }), to: fc.integer({ min: 0, max: 11 }) }),
            fc.constant({ kind: 'read' as const }),
          ) as fc.Arbitrary<Step>,
          { maxLength: 80 },
        ),
        (steps) => {
          const live = new LiveRows({ key: 'id' });
          const model = new Map<number, Row>();
          let seq = 0n;
          let pending = 0;
          const check = (): void => {
            const rows = live.getSnapshot().rows;
            expect(rows.length).toBe(model.size);
            [...model.values()].forEach((row, i) => expect(rows[i]).toBe(row));
          };
          for (const step of steps) {
            seq++;
            if (step.kind === 'upsert') {
              const row: Row = { id: step.id, v: step.v, _seq: seq };
              live.apply(model.has(step.id) ? { type: 'update', row, oldRow: model.get(step.id) as Row, seq } : { type: 'insert', row, seq });
              model.set(step.id, row);
            } else if (step.kind === 'delete') {
              const old = model.get(step.id);
              if (old === undefined) continue;
              live.apply({ type: 'delete', oldRow: old, seq });
              model.delete(step.id);
            } else if (step.kind === 'move') {
              const old = model.get(step.from);
              if (old === undefined) continue;
              const row: Row = { id: step.to, v: old['v'] ?? null, _seq: seq };
              live.apply({ type: 'update', row, oldRow: old, seq });
              if (step.from !== step.to) model.delete(step.from);
              model.set(step.to, row);
            }
            if (step.kind === 'read' || ++pending % every === 0) check();
          }
          check();
        },
      ),
      { numRuns: 300 },
    );
  });
});
