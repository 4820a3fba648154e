/**
 * `KalamClient`: the application-facing facade. Every call forwards to one kalam-link instance,
 * which owns the socket, the lifecycle, resume and the shared live-query cache.
 */
import { createLink, KalamError } from '@kalam/link';
import type {
  ConnectionSnapshot,
  ConnectionState,
  KalamLink,
  LinkEventMap,
  LiveRowsSnapshot,
  ParamValue,
  QueryResult as LinkQueryResult,
  Row,
  SchemaField,
  SeqId,
  SubscriptionInfo,
} from '@kalam/link';
import { abortError, onAbort } from './internal/abort.js';
import type { ClientOptions, ClientSubscribeOptions, LiveOptions, QueryOptions } from './options.js';
import { LiveQuery } from './liveQuery.js';
import { Subscription } from './subscription.js';

/**
 * One statement's result from `client.query()`. 64-bit cells (`BIGINT` columns, `_seq`) are `bigint`.
 *
 * @example
 * ```ts
 * const { rows, rowCount } = await client.query<{ id: bigint }>('SELECT id FROM app.todos');
 * ```
 */
export interface QueryResult<R = Row> {
  /** Result columns. */
  readonly columns: readonly SchemaField[];
  /** Rows keyed by column name. */
  readonly rows: readonly R[];
  /** Rows returned, or rows affected by a write. */
  readonly rowCount: number;
  /** SeqId of the last change a write committed. */
  readonly lastSeq?: SeqId;
}

/**
 * A Kalam Live client: live subscriptions, live result sets and SQL over one WebSocket.
 * Create it with {@link createClient}. It connects lazily, on the first subscription (or `connect()`).
 *
 * @example
 * ```ts
 * const client = createClient({ url: 'http://localhost:8080', auth: Auth.basic('alice', 'secret') });
 * const todos = client.live<Todo>('SELECT * FROM app.todos');
 * todos.subscribe(() => console.log(todos.rows));
 * await client.close();
 * ```
 */
export class KalamClient implements AsyncDisposable {
  /** The underlying kalam-link instance (for tools such as inspectors). */
  readonly link: KalamLink;

  /** @internal Use {@link createClient}. */
  constructor(link: KalamLink) {
    this.link = link;
  }

  /** Connection state: `idle`, `connecting`, `authenticating`, `ready`, `reconnecting`, `closed`, `killed`, `auth_revoked` or `auth_failed`. */
  get state(): ConnectionState {
    return this.link.state;
  }

  /**
   * The connection snapshot (state, attempt, connection id, user, last close, error, reconnects);
   * the same object until it changes.
   */
  getSnapshot = (): ConnectionSnapshot => this.link.getSnapshot();

  /**
   * Listen for connection snapshot changes (the store contract, for `useSyncExternalStore`).
   *
   * @example
   * ```ts
   * const off = client.subscribeState(() => console.log(client.state));
   * ```
   */
  subscribeState = (listener: () => void): (() => void) => this.link.subscribeState(listener);

  /**
   * Listen to connection events: `state` (a new snapshot), `transition`, `frame`, `error`.
   * Returns a function that removes the listener.
   *
   * @example
   * ```ts
   * client.on('state', (snapshot) => console.log(snapshot.state));
   * ```
   */
  on<E extends keyof LinkEventMap>(event: E, listener: (payload: LinkEventMap[E]) => void): () => void {
    return this.link.on(event, listener);
  }

  /**
   * Connect now instead of on the first subscription. Resolves when authenticated; rejects with a
   * `KalamError` (e.g. `AUTH_FAILED`) when the connection stops for good.
   *
   * @example
   * ```ts
   * await client.connect();
   * ```
   */
  connect(): Promise<void> {
    return this.link.connect();
  }

  /**
   * Close the socket and stay disconnected (state `closed`); subscriptions are kept and resume on `connect()`.
   *
   * @example
   * ```ts
   * await client.disconnect();
   * ```
   */
  disconnect(): Promise<void> {
    return this.link.disconnect();
  }

  /**
   * End every subscription and live query and close the socket for good.
   *
   * @example
   * ```ts
   * await client.close();
   * ```
   */
  close(): Promise<void> {
    return this.link.close();
  }

  /** `await using client = createClient(...)` closes the client at scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Subscribe to a live query and receive its events. Resolves once the snapshot is loaded
   * (status `ready`); rejects with the subscription's `KalamError` (e.g. `INVALID_SQL`), or with
   * `KalamError('ABORTED')` when `signal` aborts first (the subscription is then removed).
   *
   * @example
   * ```ts
   * const sub = await client.subscribe<Todo>('SELECT * FROM app.todos', {
   *   onEvent: (e) => { if (e.type === 'insert') console.log(e.row.title); },
   * });
   * sub.unsubscribe();
   * ```
   */
  subscribe<R extends object = Row>(sql: string, options: ClientSubscribeOptions<R> = {}): Promise<Subscription<R>> {
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    let subscription: Subscription<R>;
    try {
      // The link reads only its own options (params, batchSize, lastRows, from, id) from `options`.
      subscription = new Subscription<R>((listener) => this.link.subscribe(sql, options, listener), {
        signal,
        onEvent: options.onEvent,
        onError: options.onError,
        from: options.from,
      });
    } catch (error) {
      return Promise.reject(error);
    }
    return subscription.ready();
  }

  /**
   * The live, materialised result set of a query: rows keyed by primary key, kept current.
   * Identical queries (same SQL and params) share one server subscription; `close()` releases
   * this reference, and the subscription ends a short linger after the last one. Throws
   * `KalamError('ABORTED')` when `signal` is already aborted, `CLOSED` after `client.close()`.
   *
   * @example
   * ```ts
   * const todos = client.live<Todo>('SELECT * FROM app.todos WHERE done = $1', { params: [false] });
   * for await (const rows of todos) console.log(rows.length, 'open todos');
   * ```
   */
  live<R extends object = Row>(sql: string, options: LiveOptions<R> = {}): LiveQuery<R> {
    if (options.signal?.aborted === true) throw abortError(options.signal);
    // The shared cache reads `params` and `key` (its key, so `peekLive` finds the same query); it ignores `signal`.
    const query = new LiveQuery<R>(this.link.acquireLive<R>(sql, options));
    onAbort(options.signal, () => query.close());
    return query;
  }

  /**
   * The current `{ rows, status, error, lastSeqId }` of the live query that {@link KalamClient.live}
   * would share for the same SQL and options, or `undefined` when none is open. Takes no reference
   * and opens nothing (safe while rendering); call `live()` to hold the query.
   *
   * @example
   * ```ts
   * const snapshot = client.peekLive<Todo>('SELECT * FROM app.todos');
   * console.log(snapshot?.status === 'ready' ? snapshot.rows.length : 'not loaded');
   * ```
   */
  peekLive<R extends object = Row>(sql: string, options: Omit<LiveOptions<R>, 'signal'> = {}): LiveRowsSnapshot<R> | undefined {
    return this.link.peekLive<R>(sql, options);
  }

  /**
   * Run SQL over HTTP (`POST /v1/api/sql`) with the client's credentials. Several `;`-separated
   * statements are allowed; the last one's result is returned (all of them: {@link KalamClient.queryAll}).
   * Rejects with a `KalamError` (`INVALID_SQL`, `CONFLICT`, `UNAUTHORIZED`, …).
   *
   * @example
   * ```ts
   * await client.query('INSERT INTO app.todos (id, title) VALUES ($1, $2)', [1, 'milk']);
   * const { rows } = await client.query<Todo>('SELECT * FROM app.todos');
   * ```
   */
  async query<R = Row>(sql: string, params?: readonly ParamValue[], options: QueryOptions = {}): Promise<QueryResult<R>> {
    const results = await this.queryAll<R>(sql, params, options);
    const last = results[results.length - 1];
    if (last === undefined) throw new KalamError('PROTOCOL', 'the server returned no statement result');
    return last;
  }

  /**
   * Like {@link KalamClient.query}, returning one result per statement.
   *
   * @example
   * ```ts
   * const [inserted, selected] = await client.queryAll('INSERT INTO t VALUES (1); SELECT * FROM t');
   * ```
   */
  async queryAll<R = Row>(sql: string, params?: readonly ParamValue[], options: QueryOptions = {}): Promise<Array<QueryResult<R>>> {
    const { signal } = options;
    if (signal?.aborted === true) throw abortError(signal);
    const results: readonly LinkQueryResult[] = await this.link.query(sql, params, signal === undefined ? {} : { signal });
    return results as unknown as Array<QueryResult<R>>;
  }

  /**
   * Every subscription of this client: id, SQL, params, status, `lastSeqId` and events delivered.
   *
   * @example
   * ```ts
   * for (const s of client.listSubscriptions()) console.log(s.id, s.status, s.lastSeqId);
   * ```
   */
  listSubscriptions(): SubscriptionInfo[] {
    return [...this.link.listSubscriptions()];
  }
}

/**
 * Create a {@link KalamClient}. No socket opens until the first subscription or `connect()`.
 *
 * @example
 * ```ts
 * import { createClient, Auth } from '@kalam/client';
 * const client = createClient({ url: 'http://localhost:8080', auth: Auth.basic('alice', 'secret') });
 * ```
 */
export function createClient(options: ClientOptions): KalamClient {
  return new KalamClient(createLink(options));
}
