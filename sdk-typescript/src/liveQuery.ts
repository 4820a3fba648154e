/**
 * `LiveQuery<R>`: one user's hold on a shared kalam-link live query. Reads forward to the shared
 * query; `close()` gives the hold back (kalam-link ends the subscription a linger after the last).
 */
import { KalamError } from '@kalam/link';
import type { LiveRowsSnapshot, ParamValue, Row, SeqId, SharedLiveQuery, SubscriptionStatus } from '@kalam/link';

/**
 * The live, materialised result set of a SQL query (from `client.live()`): rows keyed by primary
 * key, kept current, with the store contract (`subscribe` + `getSnapshot`) and async iteration.
 *
 * @example
 * ```ts
 * const todos = client.live<Todo>('SELECT * FROM app.todos');
 * await todos.ready();
 * console.log(todos.rows.length);
 * const off = todos.subscribe(() => console.log(todos.getSnapshot().rows));
 * for await (const rows of todos) if (rows.length > 10) break;
 * off();
 * todos.close();
 * ```
 */
export class LiveQuery<R extends object = Row> implements AsyncIterable<readonly R[]> {
  readonly #held: SharedLiveQuery<R>;
  readonly #unsubscribers = new Set<() => void>();
  readonly #iterators = new Set<AsyncIterator<readonly R[]>>();
  readonly #pendingReady = new Set<(error: KalamError) => void>();
  #closed = false;

  /** @internal Created by `client.live()`. */
  constructor(held: SharedLiveQuery<R>) {
    this.#held = held;
  }

  /** The server subscription's id (shared by every holder of the same query). */
  get id(): string {
    return this.#held.query.id;
  }

  /** The SQL text. */
  get sql(): string {
    return this.#held.query.sql;
  }

  /** The statement parameters. */
  get params(): readonly ParamValue[] {
    return this.#held.query.params;
  }

  /** Current rows; unchanged rows keep their identity across updates. */
  get rows(): readonly R[] {
    return this.getSnapshot().rows;
  }

  /** `pending`, `loading`, `ready`, `resuming`, `error` or `closed` (after `close()`). */
  get status(): SubscriptionStatus {
    return this.getSnapshot().status;
  }

  /** The last error, if any. */
  get error(): KalamError | undefined {
    return this.getSnapshot().error;
  }

  /** Highest SeqId reflected in `rows`. */
  get lastSeqId(): SeqId | undefined {
    return this.getSnapshot().lastSeqId;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** `{ rows, status, error, lastSeqId }`: the same object until something changed (for `useSyncExternalStore`). */
  getSnapshot = (): LiveRowsSnapshot<R> => {
    const snapshot = this.#held.query.getSnapshot();
    return this.#closed ? closedSnapshot(snapshot) : snapshot;
  };

  /** Listen for changes. Returns the function that removes the listener; `close()` removes all. */
  subscribe = (listener: () => void): (() => void) => {
    if (this.#closed) return () => {};
    const unsubscribe = this.#held.query.subscribe(listener);
    const remove = (): void => {
      this.#unsubscribers.delete(remove);
      unsubscribe();
    };
    this.#unsubscribers.add(remove);
    return remove;
  };

  /** Resolves once the snapshot is loaded; rejects with the query's `KalamError` (`CLOSED` after `close()`). */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return new Promise<void>((resolve, reject) => {
      this.#pendingReady.add(reject);
      this.#held.query.ready().then(
        () => {
          this.#pendingReady.delete(reject);
          resolve();
        },
        (error: unknown) => {
          this.#pendingReady.delete(reject);
          reject(error);
        },
      );
    });
  }

  /**
   * Yields the rows once loaded, then every new rows array (latest value: a slow consumer skips
   * intermediate states). Ends on `close()`; throws the `KalamError` when the query fails.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<readonly R[]> {
    const inner = this.#held.query[Symbol.asyncIterator]();
    if (this.#closed) void inner.return?.();
    else this.#iterators.add(inner);
    const iterator: AsyncIterableIterator<readonly R[]> = {
      next: () => inner.next(),
      return: () => {
        this.#iterators.delete(inner);
        return inner.return ? inner.return() : Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Release this hold: listeners and iterators end; the subscription closes a linger after the last holder. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const remove of [...this.#unsubscribers]) remove();
    for (const it of [...this.#iterators]) void it.return?.();
    this.#iterators.clear();
    for (const reject of [...this.#pendingReady]) reject(this.#closedError());
    this.#pendingReady.clear();
    this.#held.release();
  }

  #closedError(): KalamError {
    return new KalamError('CLOSED', 'live query closed before it was ready', { subscriptionId: this.id });
  }
}

const closedSnapshots = new WeakMap<object, LiveRowsSnapshot<never>>();

/** A `closed` view of a snapshot, memoised so `getSnapshot()` stays referentially stable. */
function closedSnapshot<R>(snapshot: LiveRowsSnapshot<R>): LiveRowsSnapshot<R> {
  let closed = closedSnapshots.get(snapshot) as LiveRowsSnapshot<R> | undefined;
  if (closed === undefined) {
    closed = Object.freeze({ ...snapshot, status: 'closed' as const });
    closedSnapshots.set(snapshot, closed as LiveRowsSnapshot<never>);
  }
  return closed;
}
