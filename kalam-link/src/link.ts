/**
 * `createLink`: the facade every SDK forwards to — one socket, one lifecycle machine, every
 * subscription multiplexed, SQL over HTTP with the same credentials.
 */
import { EventEmitter } from 'eventemitter3';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import type { TokenInfo } from './auth.js';
import { connectionMachine, connectionStateOf, type ConnectionState, type LastClose } from './connection/connectionMachine.js';
import type { ConnectionDeps, FrameInfo, Transport } from './connection/deps.js';
import { KalamError } from './errors.js';
import { executeSql, type QueryResult } from './http.js';
import { resolveLinkOptions, type LinkOptions, type ResolvedLinkOptions } from './options.js';
import type { ParamValue, Role } from './protocol/messages.js';
import { LiveQuery, type LiveQueryViewOptions } from './subscriptions/liveQuery.js';
import type { LiveRowsSnapshot } from './subscriptions/liveRows.js';
import { SharedQueryCache, type SharedLiveQuery, type SharedLiveQueryOptions } from './subscriptions/sharedQueries.js';
import { SubscriptionRegistry } from './subscriptions/subscriptionRegistry.js';
import type { SubscribeOptions, SubscriptionEvent, SubscriptionHandle, SubscriptionInfo } from './subscriptions/types.js';
import { webSocketUrl } from './transport/webSocketLike.js';

/** Everything observable about the connection. The same object until something changes. */
export interface ConnectionSnapshot {
  /** Lifecycle state. */
  readonly state: ConnectionState;
  /** Failed attempts since the connection was last stable (the backoff exponent). */
  readonly attempt: number;
  /** Server's id for the current connection (as in `system.connections`), when ready. */
  readonly connectionId?: string;
  /** The authenticated user, once known. */
  readonly user?: string;
  /** The authenticated user's role, once known. */
  readonly role?: Role;
  /** The last close seen and the action taken (e.g. `{ code: 4004, action: 'stop' }` after a kill). */
  readonly lastClose?: LastClose;
  /** Why the connection is not ready, when there is a reason. */
  readonly error?: KalamError;
  /** Reconnects started since the link was created. */
  readonly reconnects: number;
}

/** A public state change. */
export interface TransitionInfo {
  /** State before. */
  readonly from: ConnectionState;
  /** State after. */
  readonly to: ConnectionState;
  /** The machine event that caused it (e.g. `SOCKET_CLOSE`, `xstate.after.pongTimeout…`). */
  readonly event: string;
  /** Why, when known: the error message or the close reason. */
  readonly reason?: string;
}

/** Typed events of {@link KalamLink.on}. */
export interface LinkEventMap {
  /** A new {@link ConnectionSnapshot}. */
  state: ConnectionSnapshot;
  /** The public {@link ConnectionState} changed (after `state`'s snapshot is in place). */
  transition: TransitionInfo;
  /** Every frame in and out (for inspectors; costs nothing when nobody listens). */
  frame: FrameInfo;
  /** Problems that belong to no subscription: undecodable frames, connection-level `error` frames, listener exceptions. */
  error: KalamError;
}

/** Options of {@link KalamLink.query}. */
export interface QueryCallOptions {
  /** Abort the HTTP request (rejects with `ABORTED`). */
  readonly signal?: AbortSignal;
}

/** Options of {@link KalamLink.live}: the subscription's plus the materialisation's. */
export interface LiveOptions<T> extends SubscribeOptions, LiveQueryViewOptions<T> {}

/** Options of {@link createLink}'s shared live queries. */
export interface LinkSharingOptions {
  /** How long an unused shared live query stays open (ms). @default 1000 */
  readonly liveQueryLingerMs?: number;
}

const TERMINAL: ReadonlySet<ConnectionState> = new Set(['killed', 'auth_revoked', 'auth_failed']);

function terminalError(state: ConnectionState, error: KalamError | undefined): KalamError {
  if (error !== undefined) return error;
  if (state === 'killed') return new KalamError('KILLED', 'the connection was killed by an administrator');
  if (state === 'auth_revoked') return new KalamError('AUTH_REVOKED', 'the user was dropped or disabled');
  if (state === 'auth_failed') return new KalamError('AUTH_FAILED', 'authentication failed');
  return new KalamError('CLOSED', 'the connection was closed');
}

/**
 * A Kalam Live link: one WebSocket with its lifecycle, every subscription multiplexed over it and
 * resumed from its last SeqId after a drop, plus SQL over HTTP. Create it with {@link createLink}.
 *
 * Store contract: `getSnapshot()` + `subscribeState(listener)` (also `subscribe(listener)`).
 *
 * @example
 * ```ts
 * const link = createLink({ url: 'http://localhost:8080', auth: Auth.basic('alice', 'alice-password') });
 * link.on('state', (s) => console.log(s.state)); // connecting, authenticating, ready, …
 * const todos = link.live<{ id: number; title: string }>('SELECT * FROM app.todos');
 * await todos.ready();
 * console.log(todos.rows);
 * await link.close();
 * ```
 */
export class KalamLink implements AsyncDisposable {
  readonly #options: ResolvedLinkOptions;
  readonly #emitter = new EventEmitter<{ [K in keyof LinkEventMap]: (payload: LinkEventMap[K]) => void }>();
  readonly #registry: SubscriptionRegistry;
  readonly #actor: Actor<typeof connectionMachine>;
  readonly #storeListeners = new Set<() => void>();
  readonly #closing = new Set<Promise<void>>();
  readonly #shared: SharedQueryCache;
  #snapshot: ConnectionSnapshot;
  #transport: Transport | undefined;
  #lastEvent = 'xstate.init';
  #disposed = false;

  /** @internal Use {@link createLink}. */
  constructor(options: LinkOptions & LinkSharingOptions) {
    this.#options = resolveLinkOptions(options, webSocketUrl(options.url));
    const o = this.#options;
    this.#registry = new SubscriptionRegistry({
      ensureConnected: () => this.#ensureConnected(),
      reportError: (error) => this.#reportError(error),
    });
    const deps: ConnectionDeps = {
      // wsUrl, WebSocket, serialization, timers, reconnect, the four timeouts, maxFrameBytes
      ...o,
      refreshable: o.auth.refreshable,
      getToken: (forceRefresh) => this.#fetchToken(forceRefresh),
      onMessage: (message) => this.#registry.handleMessage(message),
      onTransport: (transport) => {
        this.#transport = transport;
      },
      onError: (error) => this.#reportError(error),
      get onFrame() {
        return frameTap();
      },
      trackClosing: (closed) => {
        this.#closing.add(closed);
        void closed.then(() => this.#closing.delete(closed));
      },
    };
    const frameTap = (): ((frame: FrameInfo) => void) | undefined =>
      this.#emitter.listenerCount('frame') > 0 ? (frame) => this.#emitter.emit('frame', frame) : undefined;
    const userInspect = options.inspect;
    this.#actor = createActor(connectionMachine, {
      input: { deps },
      clock: { setTimeout: (fn, ms) => o.timers.setTimeout(fn, ms), clearTimeout: (id) => o.timers.clearTimeout(id) },
      inspect: (event: InspectionEvent) => {
        if (event.type === '@xstate.event' && event.actorRef === this.#actor) this.#lastEvent = event.event.type;
        if (typeof userInspect === 'function') userInspect(event);
        else userInspect?.next?.(event);
      },
    });
    this.#snapshot = { state: 'idle', attempt: 0, reconnects: 0 };
    this.#shared = new SharedQueryCache((sql, subscribeOptions) => this.#registry.subscribe(sql, subscribeOptions), {
      lingerMs: options.liveQueryLingerMs ?? 1000,
      timers: o.timers,
    });
    this.#actor.subscribe({ next: () => this.#onMachineChange(), error: (error) => this.#reportError(new KalamError('INTERNAL', `connection machine failed: ${String(error)}`, { cause: error })) });
    this.#actor.start();
    if (!o.lazy) this.#ensureConnected();
  }

  /** Current connection state. */
  get state(): ConnectionState {
    return this.#snapshot.state;
  }

  /** The HTTP base URL. */
  get url(): string {
    return this.#options.url;
  }

  /** The machine actor (read-only use: inspection, `getSnapshot()` of the full machine state). */
  get machine(): Actor<typeof connectionMachine> {
    return this.#actor;
  }

  /** Store contract: the current {@link ConnectionSnapshot}, the same object until something changed. */
  getSnapshot = (): ConnectionSnapshot => this.#snapshot;

  /** Store contract: `listener` runs after every snapshot change. Returns an unsubscribe function. */
  subscribeState = (listener: () => void): (() => void) => {
    this.#storeListeners.add(listener);
    return () => {
      this.#storeListeners.delete(listener);
    };
  };

  /**
   * Listen to a typed link event. Returns a function that removes the listener.
   *
   * @example
   * ```ts
   * const off = link.on('transition', ({ from, to, reason }) => console.log(from, '→', to, reason ?? ''));
   * off();
   * ```
   */
  on<E extends keyof LinkEventMap>(event: E, listener: (payload: LinkEventMap[E]) => void): () => void {
    (this.#emitter.on as (e: E, l: (payload: LinkEventMap[E]) => void) => unknown)(event, listener);
    return () => this.off(event, listener);
  }

  /** Remove a listener added with {@link KalamLink.on}. */
  off<E extends keyof LinkEventMap>(event: E, listener: (payload: LinkEventMap[E]) => void): void {
    (this.#emitter.off as (e: E, l: (payload: LinkEventMap[E]) => void) => unknown)(event, listener);
  }

  /**
   * Connect (or reconnect now, skipping a backoff wait; or start over from `closed`, `killed`,
   * `auth_revoked`, `auth_failed`). Resolves when ready; rejects with a KalamError when the
   * connection stops for good or `disconnect()`/`close()` is called first. Not needed before
   * `subscribe()`, which connects lazily.
   *
   * @example
   * ```ts
   * try {
   *   await link.connect();
   * } catch (e) {
   *   if (KalamError.is(e, 'AUTH_FAILED')) askForPassword();
   * }
   * ```
   */
  connect(): Promise<void> {
    if (this.#disposed) return Promise.reject(new KalamError('CLOSED', 'the link is closed'));
    if (this.#snapshot.state === 'ready') return Promise.resolve();
    const done = this.#whenSettled();
    this.#actor.send({ type: 'CONNECT' });
    return done;
  }

  /**
   * Close the socket (code 1000) and stay `closed`. Subscriptions stay registered (status
   * `pending`/`resuming`) and resume on the next `connect()` or `subscribe()`.
   *
   * @example
   * ```ts
   * await link.disconnect(); // e.g. the app goes to the background
   * await link.connect();    // subscriptions resume from their last SeqId
   * ```
   */
  async disconnect(): Promise<void> {
    if (!this.#disposed) this.#actor.send({ type: 'DISCONNECT' });
    await this.#settleClosing();
  }

  /**
   * Register a live query. Lazily connects; queued while connecting or reconnecting.
   * Pass `listener` to receive every event from the first one.
   *
   * @param sql - a `SELECT` over one table; `$1..$n` placeholders take `options.params`
   * @param options - params, batch size, `from` SeqId, id
   * @param listener - receives every {@link SubscriptionEvent}
   * @returns the handle (`unsubscribe()` ends it)
   * @throws KalamError `INVALID_ARGUMENT` (blank SQL), `DUPLICATE_SUBSCRIPTION_ID`, `CLOSED`
   * @example
   * ```ts
   * const sub = link.subscribe('SELECT * FROM app.todos WHERE done = $1', { params: [false] }, (e) => {
   *   if (e.type === 'insert') console.log('new todo', e.row);
   * });
   * sub.unsubscribe();
   * ```
   */
  subscribe(sql: string, options?: SubscribeOptions, listener?: (event: SubscriptionEvent) => void): SubscriptionHandle;
  /** Store contract alias of {@link KalamLink.subscribeState}. */
  subscribe(listener: () => void): () => void;
  subscribe(
    sqlOrListener: string | (() => void),
    options: SubscribeOptions = {},
    listener?: (event: SubscriptionEvent) => void,
  ): SubscriptionHandle | (() => void) {
    if (typeof sqlOrListener === 'function') return this.subscribeState(sqlOrListener);
    return this.#registry.subscribe(sqlOrListener, options, listener);
  }

  /**
   * A live result set over its own subscription (`close()` unsubscribes). For identical queries
   * shared between components, use {@link KalamLink.acquireLive}.
   *
   * @example
   * ```ts
   * const todos = link.live<Todo>('SELECT * FROM app.todos', { key: 'id', sort: (a, b) => a.id - b.id });
   * todos.subscribe(() => render(todos.rows));
   * // later
   * todos.close();
   * ```
   */
  live<T extends object = Record<string, unknown>>(sql: string, options: LiveOptions<T> = {}): LiveQuery<T> {
    // Each side reads only its own fields: the subscription its options, the view `key` and `sort`.
    return new LiveQuery<T>(this.#registry.subscribe(sql, options), options);
  }

  /**
   * A shared live result set: identical queries (same SQL, params and options) share one
   * subscription, reference-counted, closed a linger after the last `release()`.
   *
   * @throws KalamError `CLOSED` after `close()`
   * @example
   * ```ts
   * const { query, release } = link.acquireLive<Todo>('SELECT * FROM app.todos');
   * const off = query.subscribe(() => render(query.rows));
   * // on unmount:
   * off();
   * release(); // not query.close(): others may share it
   * ```
   */
  acquireLive<T extends object = Record<string, unknown>>(sql: string, options: SharedLiveQueryOptions<T> = {}): SharedLiveQuery<T> {
    if (this.#disposed) throw new KalamError('CLOSED', 'the link is closed');
    return this.#shared.acquire<T>(sql, options);
  }

  /**
   * The current snapshot of the shared live query that {@link KalamLink.acquireLive} would return
   * for the same SQL and options, or `undefined` when none is open (or it failed, or the link is
   * closed). Takes no reference and opens nothing, so it is safe during a React render: a second
   * component can show rows that are already loaded on its first render.
   *
   * @example
   * ```ts
   * const snapshot = link.peekLive<Todo>('SELECT * FROM app.todos');
   * if (snapshot?.status === 'ready') render(snapshot.rows);
   * ```
   */
  peekLive<T extends object = Record<string, unknown>>(sql: string, options: SharedLiveQueryOptions<T> = {}): LiveRowsSnapshot<T> | undefined {
    if (this.#disposed) return undefined;
    return this.#shared.peek<T>(sql, options);
  }

  /** id, sql, params, status, lastSeqId and events delivered of every subscription. */
  listSubscriptions(): SubscriptionInfo[] {
    return this.#registry.list();
  }

  /**
   * Run SQL over HTTP with the current token. BIGINT cells and `_seq` come back as bigint.
   *
   * @param sql - one or more statements
   * @param params - values for `$1..$n`
   * @returns one {@link QueryResult} per statement
   * @throws KalamError with the server's code (`INVALID_SQL`, `UNAUTHORIZED`, `CONFLICT`, …), `NETWORK` or `ABORTED`
   * @example
   * ```ts
   * await link.query('INSERT INTO app.todos (id, title) VALUES ($1, $2)', [1, 'Buy milk']);
   * const [result] = await link.query('SELECT * FROM app.todos WHERE id = $1', [1]);
   * console.log(result?.rows);
   * ```
   */
  async query(sql: string, params?: readonly ParamValue[], options: QueryCallOptions = {}): Promise<QueryResult[]> {
    const token = await this.getToken();
    try {
      return await executeSql(this.#options.fetch, this.#options.url, token, sql, params, options.signal);
    } catch (error) {
      if (!KalamError.is(error, 'AUTH_EXPIRED') && !KalamError.is(error, 'AUTH_FAILED')) throw error;
      // The cached token went stale: one retry with a fresh one.
      const fresh = (await this.#fetchToken(true)).token;
      return executeSql(this.#options.fetch, this.#options.url, fresh, sql, params, options.signal);
    }
  }

  /** A currently valid token (the one the socket uses, or a fresh one from the provider). */
  async getToken(): Promise<string> {
    const token = this.#actor.getSnapshot().context.token;
    if (token !== undefined && (token.expiresAt === undefined || token.expiresAt - this.#options.timers.now() > 5_000)) return token.token;
    return (await this.#fetchToken(false)).token;
  }

  /**
   * End every subscription and live query, close the socket and stop. Idempotent. The link
   * cannot be used afterwards (`connect()` rejects with `CLOSED`).
   *
   * @example
   * ```ts
   * await link.close();
   * // or: await using link = createLink({ ... });
   * ```
   */
  async close(): Promise<void> {
    if (!this.#disposed) {
      this.#disposed = true;
      this.#shared.closeAll();
      this.#registry.closeAll();
      this.#actor.send({ type: 'DISCONNECT' });
      this.#actor.stop();
    }
    await this.#settleClosing();
  }

  /** `await using` support: same as {@link KalamLink.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #ensureConnected(): void {
    const state = this.#snapshot.state;
    if (state === 'idle' || state === 'closed' || TERMINAL.has(state)) this.#actor.send({ type: 'CONNECT' });
  }

  async #fetchToken(forceRefresh: boolean): Promise<TokenInfo> {
    return this.#options.auth.getToken({ baseUrl: this.#options.url, fetch: this.#options.fetch, forceRefresh, now: this.#options.timers.now() });
  }

  #whenSettled(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let off = (): void => undefined;
      let first = true;
      const check = (): void => {
        const { state, error } = this.#snapshot;
        if (state === 'ready') {
          off();
          resolve();
        } else if (TERMINAL.has(state) || (state === 'closed' && !first)) {
          off();
          reject(terminalError(state, error));
        }
      };
      off = this.subscribeState(check);
      // From `closed` the CONNECT that follows moves on; only a later `closed` is a rejection.
      first = false;
      if (this.#disposed) {
        off();
        reject(new KalamError('CLOSED', 'the link is closed'));
      }
    });
  }

  async #settleClosing(): Promise<void> {
    while (this.#closing.size > 0) await Promise.all([...this.#closing]);
  }

  #reportError(error: KalamError): void {
    if (this.#emitter.listenerCount('error') > 0) this.#emitter.emit('error', error);
  }

  #onMachineChange(): void {
    const machine = this.#actor.getSnapshot();
    const context = machine.context;
    const state = connectionStateOf(machine);
    const prev = this.#snapshot;
    const next: ConnectionSnapshot = {
      state,
      attempt: context.attempt,
      reconnects: context.reconnects,
      ...(context.connectionId === undefined || state !== 'ready' ? {} : { connectionId: context.connectionId }),
      ...(context.user === undefined ? {} : { user: context.user }),
      ...(context.role === undefined ? {} : { role: context.role }),
      ...(context.lastClose === undefined ? {} : { lastClose: context.lastClose }),
      ...(context.error === undefined || state === 'ready' ? {} : { error: context.error }),
    };
    if (
      prev.state === next.state && prev.attempt === next.attempt && prev.reconnects === next.reconnects &&
      prev.connectionId === next.connectionId && prev.user === next.user && prev.role === next.role &&
      prev.lastClose === next.lastClose && prev.error === next.error
    ) return;
    this.#snapshot = next;
    if (prev.state !== state) this.#onStateChange(prev.state, state, next);
    for (const listener of [...this.#storeListeners]) {
      try {
        listener();
      } catch (error) {
        this.#reportError(new KalamError('INTERNAL', `a state listener threw: ${String(error)}`, { cause: error }));
      }
    }
    this.#emitter.emit('state', next);
  }

  #onStateChange(from: ConnectionState, to: ConnectionState, snapshot: ConnectionSnapshot): void {
    if (to === 'ready') {
      const transport = this.#transport;
      if (transport !== undefined) this.#registry.connectionReady(transport);
    } else if (from === 'ready' || to === 'closed' || to === 'reconnecting') {
      this.#registry.connectionLost();
    }
    if (TERMINAL.has(to) || (to === 'closed' && snapshot.lastClose?.action === 'stop' && snapshot.error !== undefined)) {
      this.#registry.failAll(terminalError(to, snapshot.error));
    }
    // The last close's reason explains going down, not the way back up.
    const down = to === 'reconnecting' || to === 'closed' || TERMINAL.has(to);
    const reason = down ? snapshot.error?.message ?? snapshot.lastClose?.reason : undefined;
    this.#emitter.emit('transition', reason === undefined ? { from, to, event: this.#lastEvent } : { from, to, event: this.#lastEvent, reason });
  }
}

/**
 * Create a link. No socket opens until the first subscription or `connect()` (unless `lazy: false`).
 *
 * @param options - server URL, credentials, and the optional tuning in {@link LinkOptions} / {@link LinkSharingOptions}
 * @example
 * ```ts
 * const link = createLink({ url: 'http://localhost:8080', auth: Auth.basic('alice', 'alice-password') });
 * const sub = link.subscribe('SELECT * FROM app.todos', {}, (event) => console.log(event.type));
 * ```
 */
export function createLink(options: LinkOptions & LinkSharingOptions): KalamLink {
  return new KalamLink(options);
}
