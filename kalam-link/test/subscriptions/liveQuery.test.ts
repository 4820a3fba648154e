import { KalamError } from '../../src/errors.js';
import type { Row } from '../../src/protocol/messages.js';
import { LiveQuery } from '../../src/subscriptions/liveQuery.js';
import { FakeHandle, todoSchema } from './fakeHandle.js';

const todo = (id: bigint, title: string, seq: bigint): Row => ({ id, title, done: false, _seq: seq });
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function setup(): { handle: FakeHandle; query: LiveQuery } {
  const handle = new FakeHandle('s1', 'SELECT * FROM app.todos');
  return { handle, query: new LiveQuery(handle) };
}

describe('LiveQuery: store', () => {
  test('mirrors the handle: rows, status, lastSeqId, id/sql/params', () => {
    const { handle, query } = setup();
    expect(query.status).toBe('pending');
    handle.load([todo(1n, 'a', 1n)], 5n);
    expect(query.rows).toEqual([todo(1n, 'a', 1n)]);
    expect(query.status).toBe('ready');
    expect(query.lastSeqId).toBe(5n);
    expect([query.id, query.sql, query.params]).toEqual(['s1', 'SELECT * FROM app.todos', []]);
  });

  test('subscribe/getSnapshot are bound (usable as useSyncExternalStore arguments) and stable between changes', () => {
    const { handle, query } = setup();
    const { subscribe, getSnapshot } = query;
    const listener = jest.fn();
    const off = subscribe(listener);
    handle.load([todo(1n, 'a', 1n)], 5n);
    const snap = getSnapshot();
    expect(getSnapshot()).toBe(snap);
    expect(listener).toHaveBeenCalled();
    listener.mockClear();
    handle.emit({ type: 'insert', row: todo(2n, 'b', 6n), seq: 6n });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(getSnapshot().rows[0]).toBe(snap.rows[0]);
    off();
    handle.emit({ type: 'insert', row: todo(3n, 'c', 7n), seq: 7n });
    expect(listener).toHaveBeenCalledTimes(1);
  });

  test('picks up a handle that is already acknowledged (schema, status)', () => {
    const handle = new FakeHandle('s1', 'q');
    handle.schema = todoSchema;
    handle.status = 'ready';
    handle.lastSeqId = 9n;
    const query = new LiveQuery(handle);
    expect(query.getSnapshot()).toMatchObject({ status: 'ready', lastSeqId: 9n });
    handle.emit({ type: 'insert', row: todo(1n, 'a', 10n), seq: 10n });
    handle.emit({ type: 'update', row: { id: 1n, done: true, _seq: 11n }, oldRow: { id: 1n, title: 'a', _seq: 10n }, seq: 11n });
    expect(query.rows).toEqual([{ id: 1n, title: null, done: true, _seq: 11n }]);
  });

  test('close() unsubscribes once, detaches, and sets status closed', () => {
    const { handle, query } = setup();
    handle.load([todo(1n, 'a', 1n)], 5n);
    query.close();
    query.close();
    expect(handle.unsubscribed).toBe(1);
    expect(handle.listeners.size).toBe(0);
    expect(query.status).toBe('closed');
    expect(query.closed).toBe(true);
    expect(query.rows).toHaveLength(1);
  });

  test('key and sort options reach the materialiser', () => {
    const handle = new FakeHandle('s1', 'q');
    const query = new LiveQuery<{ id: bigint; title: string }>(handle, { key: 'title', sort: (a, b) => (a.id < b.id ? 1 : -1) });
    handle.load([todo(1n, 'x', 1n), todo(2n, 'y', 2n), todo(3n, 'x', 3n)], 3n);
    expect(query.rows.map((r) => r.id)).toEqual([3n, 2n]);
  });
});

describe('LiveQuery: ready()', () => {
  test('resolves at the first ready and stays resolved', async () => {
    const { handle, query } = setup();
    const ready = query.ready();
    let settled = false;
    void ready.then(() => (settled = true));
    handle.emit({ type: 'ack', schema: todoSchema, resumed: undefined });
    handle.emit({ type: 'snapshot', rows: [todo(1n, 'a', 1n)], final: false, batch: { batch_num: 0, has_more: true, status: 'loading', last_seq_id: 1n } });
    await flush();
    expect(settled).toBe(false);
    handle.emit({ type: 'snapshot', rows: [], final: true, batch: { batch_num: 1, has_more: false, status: 'ready', last_seq_id: 4n } });
    await expect(ready).resolves.toBeUndefined();
    handle.emit({ type: 'status', status: 'resuming' });
    await expect(query.ready()).resolves.toBeUndefined();
    handle.fail('KILLED');
    await expect(query.ready()).resolves.toBeUndefined();
  });

  test('resolves at once when already ready', async () => {
    const { handle, query } = setup();
    handle.load([], 1n);
    await expect(query.ready()).resolves.toBeUndefined();
  });

  test('rejects with the KalamError of a fatal error before ready, in either event order', async () => {
    const a = setup();
    const readyA = a.query.ready();
    a.handle.fail('INVALID_SQL', 'bad sql');
    await expect(readyA).rejects.toMatchObject({ code: 'INVALID_SQL', subscriptionId: 's1' });

    const b = setup();
    const readyB = b.query.ready();
    b.handle.emit({ type: 'status', status: 'error' });
    b.handle.emit({ type: 'error', error: new KalamError('UNAUTHORIZED', 'no'), fatal: true });
    await expect(readyB).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    // called after the failure: rejects the same way
    await expect(b.query.ready()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  test('rejects with CLOSED when closed before ready (by the user or by the server without error)', async () => {
    const a = setup();
    const readyA = a.query.ready();
    a.query.close();
    await expect(readyA).rejects.toMatchObject({ code: 'CLOSED' });
    expect(KalamError.is(await readyA.catch((e: unknown) => e))).toBe(true);

    const b = setup();
    const readyB = b.query.ready();
    b.handle.emit({ type: 'status', status: 'closed' });
    await expect(readyB).rejects.toMatchObject({ code: 'CLOSED' });
  });

  test('a rejected ready() that nobody awaits is not an unhandled rejection', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const { handle, query } = setup();
      void query.ready();
      handle.fail('INVALID_SQL');
      const other = setup();
      void other.query.ready();
      other.query.close();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('LiveQuery: async iteration', () => {
  test('yields the rows once ready, then every change', async () => {
    const { handle, query } = setup();
    const it = query[Symbol.asyncIterator]();
    const first = it.next();
    handle.emit({ type: 'ack', schema: todoSchema, resumed: undefined });
    handle.emit({ type: 'snapshot', rows: [todo(1n, 'a', 1n)], final: false, batch: { batch_num: 0, has_more: true, status: 'loading', last_seq_id: 1n } });
    handle.emit({ type: 'snapshot', rows: [todo(2n, 'b', 2n)], final: true, batch: { batch_num: 1, has_more: false, status: 'ready', last_seq_id: 2n } });
    expect((await first).value).toHaveLength(2);
    const second = it.next();
    handle.emit({ type: 'insert', row: todo(3n, 'c', 3n), seq: 3n });
    expect((await second).value).toHaveLength(3);
    await it.return?.();
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  test('latest-value: a slow consumer gets the newest rows, not a queue', async () => {
    const { handle, query } = setup();
    handle.load([], 1n);
    const it = query[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual([]);
    for (let i = 2n; i < 12n; i++) handle.emit({ type: 'insert', row: todo(i, 't', i), seq: i });
    const next = await it.next();
    expect(next.value).toHaveLength(10);
    expect(next.value).toBe(query.rows);
    // nothing new: the next pull waits
    let settled = false;
    void it.next().then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    query.close();
    await flush();
    expect(settled).toBe(true);
  });

  test('does not yield rows of a snapshot being rebuilt after a reset', async () => {
    const { handle, query } = setup();
    handle.load([todo(1n, 'a', 1n)], 1n);
    const it = query[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    handle.emit({ type: 'reset' });
    handle.emit({ type: 'ack', schema: todoSchema, resumed: false });
    handle.emit({ type: 'snapshot', rows: [todo(5n, 'e', 5n)], final: false, batch: { batch_num: 0, has_more: true, status: 'loading', last_seq_id: 5n } });
    let settled = false;
    void pending.then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    handle.emit({ type: 'snapshot', rows: [todo(6n, 'f', 6n)], final: true, batch: { batch_num: 1, has_more: false, status: 'ready', last_seq_id: 9n } });
    expect(((await pending).value as readonly Row[]).map((r) => r['id'])).toEqual([5n, 6n]);
  });

  test('for await ends on close()', async () => {
    const { handle, query } = setup();
    handle.load([todo(1n, 'a', 1n)], 1n);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const rows of query) {
        seen.push(rows.length);
        if (rows.length === 1) handle.emit({ type: 'insert', row: todo(2n, 'b', 2n), seq: 2n });
        else query.close();
      }
    })();
    await loop;
    expect(seen).toEqual([1, 2]);
  });

  test('throws the fatal error, then is done; several iterators are independent', async () => {
    const { handle, query } = setup();
    handle.load([], 1n);
    const a = query[Symbol.asyncIterator]();
    const b = query[Symbol.asyncIterator]();
    await a.next();
    const pendingA = a.next();
    handle.fail('KILLED', 'killed by admin');
    await expect(pendingA).rejects.toMatchObject({ code: 'KILLED' });
    expect(await a.next()).toEqual({ done: true, value: undefined });
    await expect(b.next()).rejects.toMatchObject({ code: 'KILLED' });
  });

  test('a server close without error ends iteration cleanly', async () => {
    const { handle, query } = setup();
    handle.load([], 1n);
    const it = query[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    handle.emit({ type: 'status', status: 'closed' });
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});
