/**
 * Sharing of identical live queries: one server subscription per canonical (SQL, params, options),
 * reference-counted, closed only after a linger once the last user released it — so React
 * StrictMode's double mount and route changes reuse one subscription.
 */
import type { Row } from '../protocol/messages.js';
import { LiveQuery, type LiveQueryViewOptions } from './liveQuery.js';
import type { LiveRowsSnapshot } from './liveRows.js';
import { canonicalOption, canonicalSql, canonicalValue } from './queryKey.js';
import type { SubscribeOptions, SubscriptionHandle } from './types.js';

/** Options of a shared live query: the subscription's (no `id`: the cache picks the handle) plus the view's. */
export interface SharedLiveQueryOptions<T> extends Omit<SubscribeOptions, 'id'>, LiveQueryViewOptions<T> {}

/** Opens the underlying subscription (the link's `subscribe`). */
export type SubscriptionFactory = (sql: string, options: Omit<SubscribeOptions, 'id'>) => SubscriptionHandle;

/** The timers the linger uses (a subset of the link's injectable `Timers`). */
export interface LingerTimers {
  /** Run `callback` after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancel a timer started with `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** Options of a {@link SharedQueryCache}. */
export interface SharedQueryCacheOptions {
  /** How long an unused query stays open for a new user. @default 1000 */
  readonly lingerMs?: number;
  /** Injectable timers. @default the platform's, looked up at call time */
  readonly timers?: LingerTimers;
}

/** One user's hold on a shared live query. */
export interface SharedLiveQuery<T extends object> {
  /** The shared live query (read it; do not `close()` it). */
  readonly query: LiveQuery<T>;
  /** Give the query back. Idempotent. Call this instead of `query.close()`. */
  release(): void;
}

interface Entry {
  readonly key: string;
  readonly query: LiveQuery<object>;
  refs: number;
  timer: unknown;
}

const platformTimers: LingerTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The canonical key of a live query: SQL normalised for whitespace, parameters serialised exactly
 * (bigint ≠ number ≠ string), every option that changes the result, and the view options
 * (functions by identity).
 */
export function liveQueryKey<T>(sql: string, options: SharedLiveQueryOptions<T> = {}): string {
  return [
    canonicalSql(sql),
    canonicalValue(options.params ?? []),
    canonicalValue(options.batchSize),
    canonicalValue(options.lastRows),
    canonicalValue(options.from),
    canonicalOption(options.key),
    canonicalOption(options.sort),
  ].join('\u0000');
}

/**
 * Reference-counted live queries keyed by {@link liveQueryKey}.
 *
 * @example
 * ```ts
 * const cache = new SharedQueryCache((sql, opts) => registry.subscribe(sql, opts));
 * const { query, release } = cache.acquire<Todo>('SELECT * FROM app.todos');
 * // ... later, e.g. in a React effect cleanup:
 * release();
 * ```
 */
export class SharedQueryCache {
  readonly #entries = new Map<string, Entry>();
  readonly #factory: SubscriptionFactory;
  readonly #lingerMs: number;
  readonly #timers: LingerTimers;

  /**
   * An empty cache.
   *
   * @param factory - opens a subscription (usually the link's or registry's `subscribe`)
   * @param options - linger and timers
   */
  constructor(factory: SubscriptionFactory, options: SharedQueryCacheOptions = {}) {
    this.#factory = factory;
    this.#lingerMs = options.lingerMs ?? 1000;
    this.#timers = options.timers ?? platformTimers;
  }

  /** Number of live queries held (in use or lingering). */
  get size(): number {
    return this.#entries.size;
  }

  /** The number of users holding the query with this key (0 while it lingers; `undefined` when absent). */
  refCount(key: string): number | undefined {
    return this.#entries.get(key)?.refs;
  }

  /**
   * The current snapshot of the open live query for `sql` + `options` (held or lingering), or
   * `undefined` when none is open or it has failed or been closed (`acquire` would open a new one).
   * Takes no hold, opens nothing and does not extend the linger: safe to call while rendering.
   *
   * @example
   * ```ts
   * const rows = cache.peek<Todo>('SELECT * FROM app.todos')?.rows ?? [];
   * ```
   */
  peek<T extends object = Row>(sql: string, options: SharedLiveQueryOptions<T> = {}): LiveRowsSnapshot<T> | undefined {
    const entry = this.#entries.get(liveQueryKey(sql, options));
    if (entry === undefined || isDead(entry.query)) return undefined;
    return (entry.query as unknown as LiveQuery<T>).getSnapshot();
  }

  /**
   * Take a hold on the live query for `sql` + `options`, opening it when no identical one is open
   * (or the open one has failed or been closed). Every `acquire` needs one `release`.
   */
  acquire<T extends object = Row>(sql: string, options: SharedLiveQueryOptions<T> = {}): SharedLiveQuery<T> {
    const key = liveQueryKey(sql, options);
    let entry = this.#entries.get(key);
    if (entry !== undefined && isDead(entry.query)) {
      this.#drop(entry);
      entry = undefined;
    }
    if (entry === undefined) {
      const { key: _key, sort: _sort, ...subscribe } = options;
      // The view reads only `key` and `sort`.
      const query = new LiveQuery<T>(this.#factory(sql, subscribe), options);
      entry = { key, query: query as unknown as LiveQuery<object>, refs: 0, timer: undefined };
      this.#entries.set(key, entry);
    }
    const held = entry;
    held.refs++;
    if (held.timer !== undefined) {
      this.#timers.clearTimeout(held.timer);
      held.timer = undefined;
    }
    let released = false;
    return {
      query: held.query as unknown as LiveQuery<T>,
      release: () => {
        if (released) return;
        released = true;
        this.#release(held);
      },
    };
  }

  /** Close every query now, held or not (e.g. when the client is disposed). */
  closeAll(): void {
    for (const entry of [...this.#entries.values()]) this.#drop(entry, true);
  }

  #release(entry: Entry): void {
    entry.refs--;
    if (entry.refs > 0 || this.#entries.get(entry.key) !== entry) return;
    if (this.#lingerMs <= 0) {
      this.#drop(entry);
      return;
    }
    entry.timer = this.#timers.setTimeout(() => {
      entry.timer = undefined;
      if (entry.refs === 0) this.#drop(entry);
    }, this.#lingerMs);
  }

  #drop(entry: Entry, force = false): void {
    if (entry.timer !== undefined) {
      this.#timers.clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    // A replaced entry still held by earlier users stays open until they release it.
    if (force || entry.refs <= 0 || isDead(entry.query)) entry.query.close();
  }
}

function isDead(query: LiveQuery<object>): boolean {
  return query.closed || query.status === 'closed' || query.status === 'error';
}
