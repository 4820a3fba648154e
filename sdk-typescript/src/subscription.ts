/**
 * `Subscription<R>`: a promise/iterator face over one kalam-link subscription handle.
 * It owns no protocol state: status, SeqIds and resume all live in the handle.
 */
import { KalamError } from '@kalam/link';
import type {
  ParamValue,
  Row,
  SchemaField,
  SeqId,
  SubscriptionHandle,
  SubscriptionStatus,
} from '@kalam/link';
import type { EventOf, SubscriptionEvent, SubscriptionEventType } from './events.js';
import { abortError, onAbort } from './internal/abort.js';
import { pushIterator, type PushIterator } from './internal/pushIterator.js';

type AnyListener = (event: never) => void;

/** Events kept for a first iterator that has not started yet; beyond this a subscription nobody iterates stops keeping them. */
const MAX_BACKLOG = 10_000;

/**
 * What a {@link Subscription} reports to: the abort signal and callbacks of `client.subscribe` options.
 *
 * @example
 * ```ts
 * const hooks: SubscriptionHooks<Todo> = { onError: (e) => console.error(e.code) };
 * ```
 */
export interface SubscriptionHooks<R> {
  /** Aborting before ready rejects `ready()` with `KalamError('ABORTED')`; at any time it unsubscribes. */
  readonly signal?: AbortSignal | undefined;
  /** Receives every event, from the first (snapshot batches included), before the `on()` listeners. */
  readonly onEvent?: ((event: SubscriptionEvent<R>) => void) | undefined;
  /** Receives every error of the subscription, fatal or not. */
  readonly onError?: ((error: KalamError) => void) | undefined;
  /** The `from` SeqId the subscription was opened with; `lastSeqId` reports it until the first event (`0n` without one). */
  readonly from?: SeqId | undefined;
}

/**
 * One live query subscription, typed by its row type `R`.
 *
 * Obtained from `client.subscribe()`, which resolves once the snapshot is loaded. Listen with
 * {@link Subscription.on}, or iterate: the first iterator receives every event from the start
 * (kept for it until it begins, up to 10,000 events), later iterators the events after their
 * creation; iteration ends at `unsubscribe()` or `client.close()`, and throws the `KalamError` of a
 * fatal error (`ABORTED` included).
 *
 * @example
 * ```ts
 * const sub = await client.subscribe<Todo>('SELECT * FROM app.todos WHERE done = $1', { params: [false] });
 * sub.on('insert', (e) => console.log('new todo', e.row.title));
 * for await (const ev of sub) if (ev.type === 'delete') break;
 * sub.unsubscribe();
 * ```
 */
export class Subscription<R extends object = Row> implements AsyncIterable<SubscriptionEvent<R>> {
  readonly #handle: SubscriptionHandle;
  readonly #hooks: SubscriptionHooks<R>;
  readonly #listeners = new Map<SubscriptionEventType, Set<AnyListener>>();
  readonly #iterators = new Set<PushIterator<SubscriptionEvent<R>>>();
  /** Events kept for the first iterator (dropped, and no longer kept, past `MAX_BACKLOG`). */
  #backlog: Array<SubscriptionEvent<R>> | undefined = [];
  #ended: { error: KalamError | undefined } | undefined;
  readonly #ready: Promise<Subscription<R>>;
  #settle: { resolve: (s: Subscription<R>) => void; reject: (e: KalamError) => void } | undefined;
  readonly #detachAbort: () => void;

  /**
   * @internal Created by `KalamClient.subscribe`: `open` registers the kalam-link subscription with
   * a listener that receives every event from the first one.
   */
  constructor(open: (listener: (event: SubscriptionEvent<Row>) => void) => SubscriptionHandle, hooks: SubscriptionHooks<R>) {
    this.#hooks = hooks;
    this.#ready = new Promise<Subscription<R>>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.#ready.catch(() => {});
    const early: Array<SubscriptionEvent<Row>> = [];
    let opened = false;
    this.#handle = open((event) => {
      if (opened) this.#dispatch(event as SubscriptionEvent<R>);
      else early.push(event);
    });
    opened = true;
    for (const event of early) this.#dispatch(event as SubscriptionEvent<R>);
    this.#detachAbort = onAbort(hooks.signal, () => this.#end(abortError(hooks.signal as AbortSignal), true));
    this.#checkStatus();
  }

  /** Subscription id (unique per client; the server's `subscription_id`). */
  get id(): string {
    return this.#handle.id;
  }

  /** The live query's SQL. */
  get sql(): string {
    return this.#handle.sql;
  }

  /** Values bound to `$1..$n`. */
  get params(): readonly ParamValue[] {
    return this.#handle.params;
  }

  /** Current status: `pending`, `loading`, `ready`, `resuming` (reconnecting), `error` or `closed`. */
  get status(): SubscriptionStatus {
    return this.#handle.status;
  }

  /**
   * Highest SeqId delivered to this subscription — the point it resumes from after a reconnect.
   * `0n` until the first event arrived (or the `from` it was created with).
   */
  get lastSeqId(): SeqId {
    return this.#handle.lastSeqId ?? this.#hooks.from ?? 0n;
  }

  /** Projected columns (primary-key columns flagged `pk`), once acknowledged. */
  get schema(): readonly SchemaField[] | undefined {
    return this.#handle.schema;
  }

  /** Resolves once the snapshot is loaded (status `ready`); rejects with the subscription's `KalamError`. */
  ready(): Promise<Subscription<R>> {
    return this.#ready;
  }

  /**
   * Listen to one kind of event. Returns a function that removes the listener.
   *
   * @example
   * ```ts
   * const off = sub.on('update', (e) => console.log(e.row));
   * off();
   * ```
   */
  on<T extends SubscriptionEventType>(type: T, listener: (event: EventOf<R, T>) => void): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    const entry = listener as AnyListener;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** End the subscription on the server. Idempotent; safe while disconnected. Ends every iterator. */
  unsubscribe(): void {
    this.#end(undefined, true);
  }

  /** `await using sub = await client.subscribe(...)` unsubscribes at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.unsubscribe();
  }

  /**
   * Iterate over events. The first iterator also receives the events that arrived before it
   * (the snapshot, and any change since; up to 10,000 kept); later iterators start at their
   * creation. Breaking out does not unsubscribe.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<SubscriptionEvent<R>> {
    const it = pushIterator<SubscriptionEvent<R>>(() => this.#iterators.delete(it));
    const backlog = this.#backlog;
    this.#backlog = undefined;
    if (backlog) for (const event of backlog) it.push(event);
    if (this.#ended) {
      if (this.#ended.error) it.fail(this.#ended.error);
      else it.end();
    } else this.#iterators.add(it);
    return it;
  }

  #dispatch(event: SubscriptionEvent<R>): void {
    if (this.#ended) return;
    if (this.#backlog !== undefined) {
      if (this.#backlog.length < MAX_BACKLOG) this.#backlog.push(event);
      else this.#backlog = undefined;
    }
    for (const it of this.#iterators) it.push(event);
    this.#safe(() => this.#hooks.onEvent?.(event));
    const set = this.#listeners.get(event.type);
    if (set) for (const listener of [...set]) this.#safe(() => (listener as (e: SubscriptionEvent<R>) => void)(event));
    if (event.type === 'error') {
      this.#safe(() => this.#hooks.onError?.(event.error));
      if (event.fatal) {
        this.#end(event.error, false);
        return;
      }
    }
    this.#checkStatus();
  }

  #checkStatus(): void {
    const status = this.#handle.status;
    if (status === 'ready' && this.#settle) {
      const { resolve } = this.#settle;
      this.#settle = undefined;
      resolve(this);
    } else if (status === 'closed') {
      // Closed without a fatal error (e.g. `client.close()`): iteration simply ends.
      this.#end(undefined, false);
    } else if (status === 'error') {
      this.#end(new KalamError('SUBSCRIPTION_FAILED', `subscription ${this.id} failed`, { subscriptionId: this.id }), false);
    }
  }

  #end(error: KalamError | undefined, unsubscribe: boolean): void {
    if (this.#ended) return;
    this.#ended = { error };
    this.#detachAbort();
    if (unsubscribe) this.#handle.unsubscribe();
    if (this.#settle) {
      const { reject } = this.#settle;
      this.#settle = undefined;
      reject(error ?? new KalamError('CLOSED', `subscription ${this.id} closed before it was ready`, { subscriptionId: this.id }));
    }
    for (const it of this.#iterators) {
      if (error) it.fail(error);
      else it.end();
    }
    this.#iterators.clear();
  }

  #safe(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
