import type { Row } from '../../src/protocol/messages.js';
import { canonicalSql, canonicalValue } from '../../src/subscriptions/queryKey.js';
import { liveQueryKey, SharedQueryCache, type LingerTimers } from '../../src/subscriptions/sharedQueries.js';
import type { SubscribeOptions } from '../../src/subscriptions/types.js';
import { FakeHandle } from './fakeHandle.js';

/** A manual clock: timers fire only when the test advances it. */
class ManualTimers implements LingerTimers {
  now = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.pending]) {
      if (t.at <= this.now) {
        this.pending.delete(id);
        t.fn();
      }
    }
  }
  get count(): number {
    return this.pending.size;
  }
}

function setup(lingerMs?: number): { cache: SharedQueryCache; timers: ManualTimers; handles: FakeHandle[]; calls: [string, Omit<SubscribeOptions, 'id'>][] } {
  const timers = new ManualTimers();
  const handles: FakeHandle[] = [];
  const calls: [string, Omit<SubscribeOptions, 'id'>][] = [];
  const cache = new SharedQueryCache(
    (sql, options) => {
      calls.push([sql, options]);
      const handle = new FakeHandle(`s${handles.length + 1}`, sql, options.params ?? []);
      handles.push(handle);
      return handle;
    },
    { timers, ...(lingerMs === undefined ? {} : { lingerMs }) },
  );
  return { cache, timers, handles, calls };
}

describe('canonical keys', () => {
  test('SQL whitespace is normalised outside quotes only', () => {
    expect(canonicalSql('  SELECT *\n\tFROM  app.t   WHERE a = 1 ')).toBe('SELECT * FROM app.t WHERE a = 1');
    expect(canonicalSql("SELECT * FROM t WHERE s = 'a   b' AND \"odd  col\" = 'it''s  x'")).toBe(
      "SELECT * FROM t WHERE s = 'a   b' AND \"odd  col\" = 'it''s  x'",
    );
    expect(canonicalSql("SELECT * FROM t WHERE s = 'a b'")).not.toBe(canonicalSql("SELECT * FROM t WHERE s = 'a  b'"));
  });

  test('params are serialised exactly: bigint, number, string, null, bytes, nested, key order', () => {
    const keys = [1n, 1, '1', null, true, 'true', new Uint8Array([1]), [1], { a: 1 }, -0, 0].map((v) => canonicalValue(v));
    expect(new Set(keys).size).toBe(keys.length);
    expect(canonicalValue(2n ** 64n)).toBe('b18446744073709551616');
    expect(canonicalValue({ b: 1, a: [2n, 'x'] })).toBe(canonicalValue({ a: [2n, 'x'], b: 1 }));
    expect(canonicalValue(['a,b'])).not.toBe(canonicalValue(['a', 'b']));
  });

  test('query keys: same SQL modulo whitespace and equal params share; anything result-changing does not', () => {
    const base = liveQueryKey('SELECT * FROM t WHERE id = $1', { params: [1n] });
    expect(liveQueryKey(' SELECT *  FROM t\nWHERE id = $1 ', { params: [1n] })).toBe(base);
    expect(liveQueryKey('SELECT * FROM t WHERE id = $1', { params: [1] })).not.toBe(base);
    expect(liveQueryKey('SELECT * FROM t WHERE id = $1', { params: [1n], lastRows: 5 })).not.toBe(base);
    expect(liveQueryKey('SELECT * FROM t WHERE id = $1', { params: [1n], key: 'id' })).not.toBe(base);
    expect(liveQueryKey('SELECT * FROM t WHERE id = $1', { params: [1n], key: 'id' })).toBe(liveQueryKey('SELECT * FROM t WHERE id = $1', { params: [1n], key: ['id'] }));
    const keyFn = (row: Row): string => String(row['id']);
    expect(liveQueryKey('q', { key: keyFn })).toBe(liveQueryKey('q', { key: keyFn }));
    expect(liveQueryKey('q', { key: keyFn })).not.toBe(liveQueryKey('q', { key: (row: Row) => String(row['id']) }));
  });
});

describe('SharedQueryCache', () => {
  test('identical queries share one subscription; different ones do not', () => {
    const { cache, handles, calls } = setup();
    const a = cache.acquire('SELECT * FROM app.t WHERE x = $1', { params: [1n], batchSize: 50, key: 'id' });
    const b = cache.acquire('SELECT *  FROM app.t WHERE x = $1', { params: [1n], batchSize: 50, key: 'id' });
    const c = cache.acquire('SELECT * FROM app.t WHERE x = $1', { params: [2n], batchSize: 50, key: 'id' });
    expect(a.query).toBe(b.query);
    expect(c.query).not.toBe(a.query);
    expect(handles).toHaveLength(2);
    expect(cache.size).toBe(2);
    // the factory gets the subscription options, not the view options
    expect(calls[0]).toEqual(['SELECT * FROM app.t WHERE x = $1', { params: [1n], batchSize: 50 }]);
  });

  test('StrictMode-like acquire/release/acquire within the linger reuses the one subscription', () => {
    const { cache, timers, handles } = setup();
    const first = cache.acquire('q');
    first.release();
    timers.advance(999);
    const second = cache.acquire('q');
    expect(second.query).toBe(first.query);
    expect(handles).toHaveLength(1);
    expect(timers.count).toBe(0); // the linger was cancelled
    timers.advance(5000);
    expect(handles[0]?.unsubscribed).toBe(0);
    expect(second.query.closed).toBe(false);
  });

  test('the last release closes the subscription after the linger, not before', () => {
    const { cache, timers, handles } = setup();
    const a = cache.acquire('q');
    const b = cache.acquire('q');
    a.release();
    expect(timers.count).toBe(0);
    b.release();
    timers.advance(999);
    expect(handles[0]?.unsubscribed).toBe(0);
    timers.advance(1);
    expect(handles[0]?.unsubscribed).toBe(1);
    expect(a.query.status).toBe('closed');
    expect(cache.size).toBe(0);
    const c = cache.acquire('q');
    expect(c.query).not.toBe(a.query);
    expect(handles).toHaveLength(2);
  });

  test('release is idempotent: releasing twice does not steal another user’s reference', () => {
    const { cache, timers, handles } = setup();
    const a = cache.acquire('q');
    const b = cache.acquire('q');
    a.release();
    a.release();
    timers.advance(10_000);
    expect(handles[0]?.unsubscribed).toBe(0);
    expect(cache.refCount(liveQueryKey('q'))).toBe(1);
    b.release();
    timers.advance(1000);
    expect(handles[0]?.unsubscribed).toBe(1);
  });

  test('lingerMs 0 closes at once; a custom linger is honoured', () => {
    const now = setup(0);
    now.cache.acquire('q').release();
    expect(now.handles[0]?.unsubscribed).toBe(1);
    const slow = setup(5000);
    slow.cache.acquire('q').release();
    slow.timers.advance(4999);
    expect(slow.handles[0]?.unsubscribed).toBe(0);
    slow.timers.advance(1);
    expect(slow.handles[0]?.unsubscribed).toBe(1);
  });

  test('a failed or closed query is replaced for new users; its old holders release harmlessly', () => {
    const { cache, timers, handles } = setup();
    const a = cache.acquire('q');
    handles[0]?.fail('UNAUTHORIZED');
    const b = cache.acquire('q');
    expect(b.query).not.toBe(a.query);
    expect(handles).toHaveLength(2);
    expect(handles[0]?.unsubscribed).toBe(1);
    a.release();
    timers.advance(10_000);
    expect(handles[1]?.unsubscribed).toBe(0);
    b.query.close(); // a user closed it directly
    const c = cache.acquire('q');
    expect(c.query).not.toBe(b.query);
    b.release();
    timers.advance(10_000);
    expect(handles[2]?.unsubscribed).toBe(0);
  });

  test('peek returns the open query’s current snapshot without taking a reference or opening one', () => {
    const { cache, timers, handles } = setup();
    expect(cache.peek('q')).toBeUndefined();
    expect(handles).toHaveLength(0);
    expect(cache.size).toBe(0);

    const a = cache.acquire('q', { params: [1n], key: 'id' });
    expect(cache.peek('q', { params: [1n], key: 'id' })).toBe(a.query.getSnapshot());
    expect(cache.peek('q', { params: [1n] })).toBeUndefined(); // another key: another query
    handles[0]?.load([{ id: 1n, title: 'milk', done: false }], 5n);
    const ready = cache.peek<{ id: bigint; title: string }>('  q ', { params: [1n], key: 'id' });
    expect(ready).toBe(a.query.getSnapshot());
    expect(ready?.status).toBe('ready');
    expect(ready?.rows.map((r) => r.title)).toEqual(['milk']);
    expect(cache.refCount(liveQueryKey('q', { params: [1n], key: 'id' }))).toBe(1);

    // a lingering query can be peeked; peeking neither cancels nor extends the linger
    a.release();
    timers.advance(500);
    expect(cache.peek('q', { params: [1n], key: 'id' })?.status).toBe('ready');
    expect(timers.count).toBe(1);
    timers.advance(500);
    expect(handles[0]?.unsubscribed).toBe(1);
    expect(cache.peek('q', { params: [1n], key: 'id' })).toBeUndefined();
  });

  test('peek ignores a failed query (acquire would replace it)', () => {
    const { cache, handles } = setup();
    const a = cache.acquire('q');
    handles[0]?.fail('UNAUTHORIZED');
    expect(a.query.status).toBe('error');
    expect(cache.peek('q')).toBeUndefined();
    a.release();
  });

  test('a factory that throws leaves nothing behind', () => {
    const cache = new SharedQueryCache(() => {
      throw new Error('not connected');
    });
    expect(() => cache.acquire('q')).toThrow('not connected');
    expect(cache.size).toBe(0);
  });

  test('closeAll closes held and lingering queries and cancels timers', () => {
    const { cache, timers, handles } = setup();
    cache.acquire('q1');
    cache.acquire('q2').release();
    cache.closeAll();
    expect(handles.map((h) => h.unsubscribed)).toEqual([1, 1]);
    expect(timers.count).toBe(0);
    expect(cache.size).toBe(0);
  });

  test('works with jest fake timers and the default platform timers', () => {
    jest.useFakeTimers();
    try {
      const handles: FakeHandle[] = [];
      const cache = new SharedQueryCache((sql) => {
        const handle = new FakeHandle('s', sql);
        handles.push(handle);
        return handle;
      });
      cache.acquire('q').release();
      jest.advanceTimersByTime(999);
      const again = cache.acquire('q');
      again.release();
      jest.advanceTimersByTime(1000);
      expect(handles).toHaveLength(1);
      expect(handles[0]?.unsubscribed).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
