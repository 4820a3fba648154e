/**
 * The glue between `useSyncExternalStore` and `client.live()`: a per-hook store that acquires the
 * shared live query when React subscribes (commit phase) and releases it when React unsubscribes.
 * Before that, `getSnapshot` peeks at the shared query (no reference taken), so a component whose
 * query is already live renders its rows on the first render. Sharing, refcounting and the linger
 * all happen in kalam-link; this holds one reference at most.
 */
import type { KalamClient, KalamError, LiveOptions, LiveQuery, ParamValue, RowKeyOption, SeqId, SubscriptionStatus } from '@kalam/client';

/**
 * Status of a `useLiveQuery` result: `loading` before the query is open (and on the server),
 * then the subscription's (`pending`, `ready`, `resuming`, `error`, `closed`), or `idle` when `enabled` is false.
 *
 * @example
 * ```tsx
 * const busy = (s: LiveQueryStatus) => s === 'loading' || s === 'pending';
 * ```
 */
export type LiveQueryStatus = SubscriptionStatus | 'idle';

/**
 * What {@link useLiveQuery} returns: the same object until something changed.
 *
 * @example
 * ```tsx
 * const { rows, status, error, lastSeqId }: LiveQueryResult<Todo> = useLiveQuery<Todo>('SELECT * FROM app.todos');
 * ```
 */
export interface LiveQueryResult<R> {
  /** Current rows; unchanged rows keep their object identity across updates. */
  readonly rows: readonly R[];
  /** `loading` until the snapshot is in (also during server rendering), then `ready`; `resuming` while reconnecting. */
  readonly status: LiveQueryStatus;
  /** The subscription's error (e.g. `INVALID_SQL`), if any. */
  readonly error: KalamError | undefined;
  /** Highest SeqId reflected in `rows`. */
  readonly lastSeqId: SeqId | undefined;
}

const EMPTY: readonly never[] = Object.freeze([]);

/** The result before the live query is open, and on the server. */
export const LOADING: LiveQueryResult<never> = Object.freeze({ rows: EMPTY, status: 'loading', error: undefined, lastSeqId: undefined });
/** The result of a disabled hook. */
export const IDLE: LiveQueryResult<never> = Object.freeze({ rows: EMPTY, status: 'idle', error: undefined, lastSeqId: undefined });

/** What identifies a live query for {@link LiveQueryStore}. */
export interface LiveQuerySpec<R> {
  readonly sql: string;
  readonly params: readonly ParamValue[] | undefined;
  readonly key: RowKeyOption<R> | undefined;
}

/** A `useSyncExternalStore` store over one (shared) live query. */
export class LiveQueryStore<R extends object> {
  readonly #client: KalamClient;
  readonly #spec: LiveQuerySpec<R>;
  #query: LiveQuery<R> | undefined;
  #listeners = 0;

  constructor(client: KalamClient, spec: LiveQuerySpec<R>) {
    this.#client = client;
    this.#spec = spec;
  }

  /** Acquire on the first listener (React calls this after commit), release after the last. */
  subscribe = (listener: () => void): (() => void) => {
    const query = (this.#query ??= this.#acquire());
    this.#listeners++;
    const unsubscribe = query.subscribe(listener);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      unsubscribe();
      if (--this.#listeners === 0 && this.#query === query) {
        this.#query = undefined;
        query.close();
      }
    };
  };

  /** True between the first `subscribe` (commit) and the last unsubscribe. */
  get held(): boolean {
    return this.#query !== undefined;
  }

  /** The held query's snapshot; before commit, the shared query's if one is open (a peek), else `LOADING`. */
  getSnapshot = (): LiveQueryResult<R> => this.#query?.getSnapshot() ?? this.#client.peekLive<R>(this.#spec.sql, this.#options()) ?? LOADING;

  getServerSnapshot = (): LiveQueryResult<R> => LOADING;

  #acquire(): LiveQuery<R> {
    return this.#client.live<R>(this.#spec.sql, this.#options());
  }

  #options(): LiveOptions<R> {
    return liveOptions(this.#spec);
  }
}

/** The `client.live()` / `client.peekLive()` options of a spec (the same for both, so they find the same query). */
export function liveOptions<R>(spec: LiveQuerySpec<R>): LiveOptions<R> {
  return {
    ...(spec.params === undefined ? {} : { params: spec.params }),
    ...(spec.key === undefined ? {} : { key: spec.key }),
  };
}

/** A store for a disabled hook. */
export const IDLE_STORE = {
  held: false,
  subscribe: (): (() => void) => () => {},
  getSnapshot: (): LiveQueryResult<never> => IDLE,
  getServerSnapshot: (): LiveQueryResult<never> => IDLE,
};

const functionIds = new WeakMap<object, number>();
let nextFunctionId = 1;

/** A string equal for equal (sql, params, key): hooks re-create their store only when it changes. */
export function specKey<R>(spec: LiveQuerySpec<R>): string {
  const { key } = spec;
  let keyPart: string;
  if (typeof key === 'function') {
    let id = functionIds.get(key);
    if (id === undefined) functionIds.set(key, (id = nextFunctionId++));
    keyPart = `fn#${id}`;
  } else keyPart = JSON.stringify(key ?? null);
  return `${spec.sql}\u0000${JSON.stringify(spec.params ?? [], tagged)}\u0000${keyPart}`;
}

function tagged(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return { bytes: Array.from(value) };
  if (typeof value === 'string') return `s${value}`;
  return value;
}
