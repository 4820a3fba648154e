/**
 * LiveQuery: a store over one {@link SubscriptionHandle} and its {@link LiveRows} — what
 * `client.live()` returns and what `useLiveQuery` binds to `useSyncExternalStore`.
 */
import { KalamError } from '../errors.js';
import type { ParamValue, Row } from '../protocol/messages.js';
import type { SeqId } from '../protocol/seqId.js';
import { LiveRows, type LiveRowsOptions, type LiveRowsSnapshot } from './liveRows.js';
import type { RowKeyOption } from './rowKey.js';
import type { SubscriptionHandle, SubscriptionStatus } from './types.js';

/** Options of a {@link LiveQuery}'s materialisation. */
export interface LiveQueryViewOptions<T> {
  /** Row identity. @default the schema's `pk` columns */
  readonly key?: RowKeyOption<T>;
  /** Keep `rows` sorted by this comparator instead of snapshot/insertion order. */
  readonly sort?: (a: T, b: T) => number;
}

interface Waiter<T> {
  resolve(result: IteratorResult<readonly T[], undefined>): void;
  reject(error: unknown): void;
}

interface IteratorState<T> {
  last: readonly T[] | undefined;
  waiter: Waiter<T> | undefined;
  done: boolean;
}

/**
 * The live result set of one SQL query. Create it right after creating the handle, in the same
 * tick, so that no event is missed; it owns the handle (`close()` unsubscribes).
 *
 * @example
 * ```ts
 * const todos = new LiveQuery<Todo>(link.subscribe('SELECT * FROM app.todos'));
 * await todos.ready();
 * for await (const rows of todos) console.log(rows.length);
 * ```
 */
export class LiveQuery<T extends object = Row> {
  readonly #handle: SubscriptionHandle;
  readonly #live: LiveRows<T>;
  readonly #detach: () => void;
  readonly #iterators = new Set<IteratorState<T>>();
  #everReady = false;
  #closedByUser = false;
  #terminal = false;
  #terminalScheduled = false;
  #readyPromise: Promise<void> | undefined;
  #settleReady: { resolve(): void; reject(error: KalamError): void } | undefined;

  /**
   * Materialise `handle`. Call it in the tick the handle was created so no event is missed.
   *
   * @param handle - the subscription to materialise (the live query owns it from now on)
   * @param options - row key and sort
   */
  constructor(handle: SubscriptionHandle, options: LiveQueryViewOptions<T> = {}) {
    this.#handle = handle;
    // LiveRows treats an undefined option as an absent one.
    this.#live = new LiveRows<T>({ key: options.key, sort: options.sort, schema: handle.schema, lastSeqId: handle.lastSeqId, status: handle.status } as LiveRowsOptions<T>);
    this.#live.subscribe(() => this.#onChange());
    this.#detach = handle.onEvent((event) => this.#live.apply(event));
    this.#onChange();
  }

  /** Subscription id. */
  get id(): string {
    return this.#handle.id;
  }

  /** The SQL text. */
  get sql(): string {
    return this.#handle.sql;
  }

  /** The statement parameters. */
  get params(): readonly ParamValue[] {
    return this.#handle.params;
  }

  /** Current snapshot; the same object until something changed (for `useSyncExternalStore`). */
  getSnapshot = (): LiveRowsSnapshot<T> => this.#live.getSnapshot();

  /** Listen for changes; returns the unsubscribe function (for `useSyncExternalStore`). */
  subscribe = (listener: () => void): (() => void) => this.#live.subscribe(listener);

  /** Current rows. */
  get rows(): readonly T[] {
    return this.#live.getSnapshot().rows;
  }

  /** Current status. */
  get status(): SubscriptionStatus {
    return this.#live.getSnapshot().status;
  }

  /** Current error, if any. */
  get error(): KalamError | undefined {
    return this.#live.getSnapshot().error;
  }

  /** Highest SeqId materialised. */
  get lastSeqId(): SeqId | undefined {
    return this.#live.getSnapshot().lastSeqId;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closedByUser;
  }

  /**
   * Resolves when the snapshot is loaded for the first time (and stays resolved); rejects with a
   * `KalamError` when the subscription fails or closes before that. Never an unhandled rejection.
   */
  ready(): Promise<void> {
    if (this.#readyPromise === undefined) {
      this.#readyPromise = new Promise<void>((resolve, reject) => {
        this.#settleReady = { resolve, reject };
      });
      this.#readyPromise.catch(() => undefined);
      this.#onChange();
    }
    return this.#readyPromise;
  }

  /**
   * Iterate over the rows: yields the current rows once the snapshot is loaded, then every new rows
   * array. Latest-value semantics: a slow consumer gets the newest rows, never a backlog. Rows of a
   * snapshot being rebuilt (after a reset) are not yielded until it is complete. Ends on `close()`;
   * throws the `KalamError` when the subscription fails.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<readonly T[], undefined> {
    const state: IteratorState<T> = { last: undefined, waiter: undefined, done: false };
    this.#iterators.add(state);
    const finish = (): IteratorResult<readonly T[], undefined> => {
      state.done = true;
      this.#iterators.delete(state);
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<readonly T[], undefined> = {
      next: () => {
        if (state.done) return Promise.resolve({ done: true, value: undefined });
        const step = this.#step(state);
        if (step !== undefined) {
          if (step instanceof KalamError) {
            finish();
            return Promise.reject(step);
          }
          return Promise.resolve(step.done === true ? finish() : step);
        }
        return new Promise((resolve, reject) => {
          state.waiter = { resolve, reject };
        });
      },
      return: () => {
        const waiter = state.waiter;
        state.waiter = undefined;
        const result = finish();
        waiter?.resolve(result);
        return Promise.resolve(result);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** End the live query: unsubscribe, status `closed`, iterators end, a pending `ready()` rejects (`CLOSED`). Idempotent. */
  close(): void {
    if (this.#closedByUser) return;
    this.#closedByUser = true;
    this.#terminal = true;
    this.#detach();
    this.#handle.unsubscribe();
    this.#live.apply({ type: 'status', status: 'closed' });
    this.#settle();
  }

  /** What an iterator gets next, if anything is available now. */
  #step(state: IteratorState<T>): IteratorResult<readonly T[], undefined> | KalamError | undefined {
    const snap = this.#live.getSnapshot();
    if (this.#terminal) {
      if (this.#closedByUser || (snap.status === 'closed' && snap.error === undefined)) return { done: true, value: undefined };
      return this.#failure();
    }
    if (!this.#everReady || snap.status === 'pending' || snap.status === 'loading' || snap.rows === state.last) return undefined;
    state.last = snap.rows;
    return { done: false, value: snap.rows };
  }

  /** Why a live query that never became ready, or an iteration, ended. */
  #failure(): KalamError {
    const snap = this.#live.getSnapshot();
    if (!this.#closedByUser && snap.error !== undefined) return snap.error;
    const options = { subscriptionId: this.#handle.id };
    if (this.#closedByUser || snap.status === 'closed') return new KalamError('CLOSED', 'live query closed before it was ready', options);
    return new KalamError('SUBSCRIPTION_FAILED', 'live query failed', options);
  }

  #onChange(): void {
    const snap = this.#live.getSnapshot();
    if (snap.status === 'ready') this.#everReady = true;
    const terminal = snap.status === 'closed' || snap.status === 'error';
    if (terminal && !this.#terminalScheduled) {
      this.#terminalScheduled = true;
      // The fatal `error` event and the terminal `status` event may come in either order in one tick.
      queueMicrotask(() => {
        this.#terminal = true;
        this.#settle();
      });
    }
    this.#settle();
  }

  #settle(): void {
    if (this.#settleReady !== undefined) {
      if (this.#everReady) {
        this.#settleReady.resolve();
        this.#settleReady = undefined;
      } else if (this.#terminal) {
        this.#settleReady.reject(this.#failure());
        this.#settleReady = undefined;
      }
    }
    for (const state of this.#iterators) {
      const waiter = state.waiter;
      if (waiter === undefined) continue;
      const step = this.#step(state);
      if (step === undefined) continue;
      state.waiter = undefined;
      if (step instanceof KalamError) {
        state.done = true;
        this.#iterators.delete(state);
        waiter.reject(step);
      } else {
        if (step.done === true) {
          state.done = true;
          this.#iterators.delete(state);
        }
        waiter.resolve(step);
      }
    }
  }
}
