/**
 * The connection lifecycle of a Kalam Live link: the one machine every SDK forwards to.
 * Normative table: protocol-spec/LIFECYCLE.md (the tests check this definition against it).
 *
 * ```text
 *            CONNECT                      socket open + token          AUTH_SUCCESS
 *   idle ───────────▶ ┌─ session ─────────────────────────────────────────────────────┐
 *                     │ connecting ───────────────▶ authenticating ─────────────▶ ready │
 *                     └───────────────────────────────────────────────────────────────┘
 *       │ SOCKET_CLOSE (reconnect codes), connect/auth/pong timeout, token fetch failure
 *       ▼
 *   reconnecting (backoff, full jitter; quick first retry after ready; offline waits for `online`) ──▶ session
 *   session ──4002 / first 4001 or 1008──▶ session (fresh token, no wait)
 *   session ──4004──▶ killed   ──4003──▶ auth_revoked   ──second 4001/1008──▶ auth_failed
 *   session ──4007, 4500–4999──▶ closed        any ──DISCONNECT──▶ closed
 *   closed / killed / auth_revoked / auth_failed ──CONNECT──▶ session
 * ```
 *
 * `ready` runs three regions in parallel: heartbeat (ping, pong timeout), stability (the backoff
 * attempt counter resets after `stableAfterMs`) and refresh (in-band re-authentication shortly
 * before the token expires). xstate owns the lifecycle only: data frames never pass through it.
 */
import { assign, createMachine, type setup, type SnapshotFrom } from 'xstate';
// Before our other modules: it leads to @msgpack/msgpack (see the note in index.ts).
import { socketActor, type SocketCommand, type SocketEvent } from './socketActor.js';
import type { TokenInfo } from '../auth.js';
import { KalamError } from '../errors.js';
import { closeAction, type CloseAction } from '../protocol/codes.js';
import type { Role } from '../protocol/messages.js';
import { fetchTokenActor, isCredentialError } from './authActor.js';
import { reconnectDelay } from './backoff.js';
import type { ConnectionDeps } from './deps.js';
import { environmentActor, platformOnline, type EnvironmentEvent } from './environmentActor.js';

/**
 * Public connection state. `killed`, `auth_revoked` and `auth_failed` are terminal: the link does
 * not reconnect by itself (call `connect()` to start over); `closed` follows `disconnect()`.
 */
export type ConnectionState =
  | 'idle'
  | 'connecting'
  | 'authenticating'
  | 'ready'
  | 'reconnecting'
  | 'closed'
  | 'killed'
  | 'auth_revoked'
  | 'auth_failed';

/** The last close the client saw and what it decided to do. */
export interface LastClose {
  /** WebSocket close code (see {@link CloseCode}). */
  readonly code: number;
  /** Close reason text (may be empty). */
  readonly reason: string;
  /** What the client did about it (`closeAction(code)`). */
  readonly action: CloseAction;
}

/** Events the application sends (`connect()`, `disconnect()`). */
export type ControlEvent =
  | {
      /** Connect, reconnect now, or start over from a stopped state. */
      readonly type: 'CONNECT';
    }
  | {
      /** Close the socket and stay `closed`. */
      readonly type: 'DISCONNECT';
    };

/** Every event of the machine that is not an actor completion or a delay. */
export type ConnectionEvent = ControlEvent | SocketEvent | EnvironmentEvent;

/** Machine context. */
export interface ConnectionContext {
  /** The host's platform seams and callbacks (the machine's input). */
  readonly deps: ConnectionDeps;
  /** Failed attempts since the connection was last stable (drives the backoff ceiling). */
  readonly attempt: number;
  /** Reconnects started since the link was created. */
  readonly reconnects: number;
  /** The one fresh-token retry after 4001/1008 (or 4002) is used up. Cleared by `auth_success`. */
  readonly authRetried: boolean;
  /** The next token fetch must bypass caches. */
  readonly forceRefresh: boolean;
  /** The token of the current (or last) attempt. */
  readonly token: TokenInfo | undefined;
  /** The socket of the current attempt is open. */
  readonly socketOpen: boolean;
  /** The current (or last) attempt reached `ready`: its first retry may be quick. */
  readonly wasReady: boolean;
  /** From `auth_success.connection_id`. */
  readonly connectionId: string | undefined;
  /** From `auth_success.user`. */
  readonly user: string | undefined;
  /** From `auth_success.role`. */
  readonly role: Role | undefined;
  /** Token expiry (ms since epoch) from `auth_success.expires_at`, else the token's own. */
  readonly expiresAt: number | undefined;
  /** The last close seen. */
  readonly lastClose: LastClose | undefined;
  /** Why the connection is not ready (cleared on `ready`). */
  readonly error: KalamError | undefined;
  /** Wait chosen on entering `reconnecting`. */
  readonly backoffMs: number;
}

/** Machine input. */
export interface ConnectionInput {
  /** The host's platform seams and callbacks. */
  readonly deps: ConnectionDeps;
}

const AUTH_CLOSE_CODES: ReadonlySet<number> = new Set([4001, 1008]);

// Typed exactly like xstate's `setup`, built like it: `setup` itself also returns every built-in
// action creator, which would put all of them in every browser bundle.
const defineMachine: typeof setup = ((implementations: Parameters<typeof createMachine>[1]) => ({
  createMachine: (config: Parameters<typeof createMachine>[0]) => createMachine(config, implementations),
})) as never;

/** Hand a command to the current attempt's socket actor (what `sendTo('socket', …)` does, without the built-in). */
function toSocket(self: { getSnapshot(): { children: Record<string, { send(command: SocketCommand): void } | undefined> } }, command: SocketCommand): void {
  self.getSnapshot().children['socket']?.send(command);
}

function closeOf(event: ConnectionEvent): { code: number; reason: string } | undefined {
  return event.type === 'SOCKET_CLOSE' ? { code: event.code, reason: event.reason } : undefined;
}

function closeError(code: number, reason: string): KalamError {
  const text = reason.length > 0 ? reason : `connection closed with code ${code}`;
  const codeName =
    code === 4001 || code === 1008 ? 'AUTH_FAILED'
    : code === 4002 ? 'AUTH_EXPIRED'
    : code === 4003 ? 'AUTH_REVOKED'
    : code === 4004 ? 'KILLED'
    : code === 4007 ? 'PROTOCOL'
    : code === 4009 ? 'CONNECTION_LIMIT_EXCEEDED'
    : 'CONNECTION_CLOSED';
  return new KalamError(codeName, text, { closeCode: code });
}

/** Delay before the in-band refresh: a fifth of the remaining lifetime early, at most 30 s early. */
export function refreshDelayMs(expiresAt: number, now: number): number {
  const remaining = expiresAt - now;
  if (remaining <= 0) return 0;
  return Math.max(0, remaining - Math.min(30_000, remaining * 0.2));
}

/**
 * The connection machine definition (xstate v5). Run it with
 * `createActor(connectionMachine, { input: { deps }, clock })`. Exported for other SDKs' authors
 * (inspection, visualisation, their own hosts); applications use {@link createLink}.
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * const actor = createActor(connectionMachine, { input: { deps } }); // deps: ConnectionDeps
 * actor.subscribe((snapshot) => console.log(connectionStateOf(snapshot)));
 * actor.start();
 * actor.send({ type: 'CONNECT' });
 * ```
 */
export const connectionMachine = defineMachine({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
  },
  actors: {
    socket: socketActor,
    fetchToken: fetchTokenActor,
    environment: environmentActor,
  },
  guards: {
    socketIsOpen: ({ context }) => context.socketOpen,
    hasToken: ({ context }) => context.token !== undefined,
    isCredentialError: ({ event }) => isCredentialError((event as { error?: unknown }).error),
    isKilled: ({ event }) => closeOf(event)?.code === 4004,
    isRevoked: ({ event }) => closeOf(event)?.code === 4003,
    isStop: ({ event }) => {
      const close = closeOf(event);
      return close !== undefined && closeAction(close.code) === 'stop';
    },
    isAuthRejectedAgain: ({ context, event }) => {
      const close = closeOf(event);
      if (close === undefined) return false;
      if (AUTH_CLOSE_CODES.has(close.code)) return context.authRetried;
      // An expired token that cannot be replaced will never work again.
      return close.code === 4002 && !context.deps.refreshable;
    },
    isRefreshNow: ({ context, event }) => {
      const close = closeOf(event);
      return close !== undefined && closeAction(close.code) === 'refresh_and_reconnect' && !context.authRetried;
    },
    isOffline: () => !platformOnline(),
    canRefresh: ({ context }) => context.deps.refreshable && context.expiresAt !== undefined,
  },
  delays: {
    connectTimeout: ({ context }) => context.deps.connectTimeoutMs,
    authTimeout: ({ context }) => context.deps.authTimeoutMs,
    pingInterval: ({ context }) => context.deps.pingIntervalMs,
    pongTimeout: ({ context }) => context.deps.pongTimeoutMs,
    stableAfter: ({ context }) => context.deps.reconnect.stableAfterMs,
    backoff: ({ context }) => context.backoffMs,
    refreshAt: ({ context }) => (context.expiresAt === undefined ? 0 : refreshDelayMs(context.expiresAt, context.deps.timers.now())),
  },
  actions: {
    resetForConnect: assign({ attempt: 0, authRetried: false, forceRefresh: false, error: undefined }),
    beginAttempt: assign({ token: undefined, socketOpen: false, wasReady: false }),
    markOpen: assign({ socketOpen: true }),
    storeToken: assign({ token: ({ event }) => (event as unknown as { output: TokenInfo }).output }),
    sendAuthenticate: ({ context, self }) => toSocket(self, { type: 'AUTHENTICATE', token: context.token?.token ?? '' }),
    sendPing: ({ self }) => toSocket(self, { type: 'PING' }),
    storeAuth: assign(({ context, event }) => {
      if (event.type !== 'AUTH_SUCCESS') return {};
      const m = event.message;
      return {
        connectionId: m.connection_id,
        user: m.user,
        role: m.role,
        expiresAt: m.expires_at ?? context.token?.expiresAt,
        authRetried: false,
        forceRefresh: false,
        error: undefined,
        wasReady: true,
      };
    }),
    recordAuthError: assign({
      error: ({ event }) =>
        event.type === 'AUTH_ERROR' ? new KalamError(event.message.code ?? 'AUTH_FAILED', event.message.message) : undefined,
    }),
    recordClose: assign(({ event }) => {
      const close = closeOf(event);
      if (close === undefined) return {};
      const action = closeAction(close.code);
      return { lastClose: { ...close, action }, error: closeError(close.code, close.reason), forceRefresh: action === 'refresh_and_reconnect' };
    }),
    markAuthRetry: assign(({ context }) => ({ authRetried: true, reconnects: context.reconnects + 1 })),
    recordTokenError: assign({
      error: ({ event }) => {
        const error = (event as { error?: unknown }).error;
        return error instanceof KalamError ? error : new KalamError('NETWORK', String(error), { cause: error });
      },
    }),
    recordConnectTimeout: assign({ error: ({ context }) => new KalamError('TIMEOUT', `no open socket and token within ${context.deps.connectTimeoutMs} ms`) }),
    recordAuthTimeout: assign({ error: ({ context }) => new KalamError('TIMEOUT', `no auth_success within ${context.deps.authTimeoutMs} ms`) }),
    recordHeartbeatTimeout: assign(({ context }) => ({
      error: new KalamError('TIMEOUT', `no frame within ${context.deps.pongTimeoutMs} ms of a ping`, { closeCode: 4005 }),
      lastClose: { code: 4005, reason: 'client heartbeat timeout', action: 'reconnect' as const },
    })),
    scheduleBackoff: assign(({ context }) => ({
      backoffMs: reconnectDelay(context.attempt, context.wasReady, context.lastClose?.code, context.deps.reconnect),
      attempt: context.attempt + 1,
      reconnects: context.reconnects + 1,
    })),
    resetAttempt: assign({ attempt: 0 }),
    reportRefreshError: ({ context, event }) => {
      const error = (event as { error?: unknown }).error;
      context.deps.onError(error instanceof KalamError ? error : new KalamError('AUTH_FAILED', `token refresh failed: ${String(error)}`, { cause: error }));
    },
    recordDisconnect: assign({ lastClose: { code: 1000, reason: 'disconnect()', action: 'stop' as const }, error: undefined }),
  },
}).createMachine({
  id: 'kalamConnection',
  initial: 'idle',
  /** Initial context, from the machine's {@link ConnectionInput}. */
  context: ({ input }) => ({
    deps: input.deps,
    attempt: 0,
    reconnects: 0,
    authRetried: false,
    forceRefresh: false,
    token: undefined,
    socketOpen: false,
    wasReady: false,
    connectionId: undefined,
    user: undefined,
    role: undefined,
    expiresAt: undefined,
    lastClose: undefined,
    error: undefined,
    backoffMs: 0,
  }),
  invoke: { id: 'environment', src: 'environment' },
  states: {
    idle: {
      on: {
        CONNECT: { target: 'session', actions: 'resetForConnect' },
        DISCONNECT: { target: 'closed', actions: 'recordDisconnect' },
      },
    },
    session: {
      id: 'session',
      entry: 'beginAttempt',
      invoke: {
        id: 'socket',
        src: 'socket',
        /** The socket actor's {@link SocketInput}. */
        input: ({ context }) => ({ deps: context.deps }),
      },
      initial: 'connecting',
      on: {
        SOCKET_CLOSE: [
          { guard: 'isKilled', target: 'killed', actions: 'recordClose' },
          { guard: 'isRevoked', target: 'auth_revoked', actions: 'recordClose' },
          { guard: 'isStop', target: 'closed', actions: 'recordClose' },
          { guard: 'isAuthRejectedAgain', target: 'auth_failed', actions: 'recordClose' },
          { guard: 'isRefreshNow', target: 'session', reenter: true, actions: ['recordClose', 'markAuthRetry'] },
          { target: 'reconnecting', actions: 'recordClose' },
        ],
        AUTH_ERROR: { actions: 'recordAuthError' },
        DISCONNECT: { target: 'closed', actions: 'recordDisconnect' },
      },
      states: {
        connecting: {
          invoke: {
            id: 'fetchToken',
            src: 'fetchToken',
            /** The token fetch's {@link FetchTokenInput}. */
            input: ({ context }) => ({ deps: context.deps, forceRefresh: context.forceRefresh }),
            onDone: [
              { guard: 'socketIsOpen', target: 'authenticating', actions: 'storeToken' },
              { actions: 'storeToken' },
            ],
            onError: [
              { guard: 'isCredentialError', target: '#kalamConnection.auth_failed', actions: 'recordTokenError' },
              { target: '#kalamConnection.reconnecting', actions: 'recordTokenError' },
            ],
          },
          on: {
            SOCKET_OPEN: [
              { guard: 'hasToken', target: 'authenticating', actions: 'markOpen' },
              { actions: 'markOpen' },
            ],
          },
          after: { connectTimeout: { target: '#kalamConnection.reconnecting', actions: 'recordConnectTimeout' } },
        },
        authenticating: {
          entry: 'sendAuthenticate',
          on: { AUTH_SUCCESS: { target: 'ready', actions: 'storeAuth' } },
          after: { authTimeout: { target: '#kalamConnection.reconnecting', actions: 'recordAuthTimeout' } },
        },
        ready: {
          type: 'parallel',
          states: {
            heartbeat: {
              initial: 'alive',
              states: {
                alive: { after: { pingInterval: 'probing' } },
                probing: {
                  entry: 'sendPing',
                  on: { LIFE: 'alive' },
                  after: { pongTimeout: { target: '#kalamConnection.reconnecting', actions: 'recordHeartbeatTimeout' } },
                },
              },
            },
            stability: {
              initial: 'unstable',
              states: {
                unstable: { after: { stableAfter: { target: 'stable', actions: 'resetAttempt' } } },
                stable: {},
              },
            },
            refresh: {
              initial: 'check',
              states: {
                check: { always: [{ guard: 'canRefresh', target: 'waiting' }, { target: 'off' }] },
                off: {},
                waiting: { after: { refreshAt: 'refreshing' } },
                refreshing: {
                  invoke: {
                    id: 'refreshToken',
                    src: 'fetchToken',
                    /** The refresh's {@link FetchTokenInput} (always a fresh token). */
                    input: ({ context }) => ({ deps: context.deps, forceRefresh: true }),
                    onDone: { target: 'awaitingAuth', actions: ['storeToken', 'sendAuthenticate'] },
                    onError: { target: 'off', actions: 'reportRefreshError' },
                  },
                },
                awaitingAuth: { on: { AUTH_SUCCESS: { target: 'check', actions: 'storeAuth' } } },
              },
            },
          },
        },
      },
    },
    reconnecting: {
      entry: 'scheduleBackoff',
      initial: 'backoff',
      on: {
        CONNECT: { target: 'session', actions: 'resetForConnect' },
        ONLINE: 'session',
        VISIBLE: 'session',
        DISCONNECT: { target: 'closed', actions: 'recordDisconnect' },
      },
      states: {
        backoff: { after: { backoff: [{ guard: 'isOffline', target: 'offline' }, { target: '#session' }] } },
        offline: {},
      },
    },
    closed: { on: { CONNECT: { target: 'session', actions: 'resetForConnect' } } },
    killed: { on: { CONNECT: { target: 'session', actions: 'resetForConnect' } } },
    auth_revoked: { on: { CONNECT: { target: 'session', actions: 'resetForConnect' } } },
    auth_failed: { on: { CONNECT: { target: 'session', actions: 'resetForConnect' } } },
  },
});

/** A snapshot of the connection machine. */
export type ConnectionMachineSnapshot = SnapshotFrom<typeof connectionMachine>;

/** The public {@link ConnectionState} of a machine snapshot. */
export function connectionStateOf(snapshot: ConnectionMachineSnapshot): ConnectionState {
  const value = snapshot.value;
  if (typeof value === 'string') return value as ConnectionState;
  if ('reconnecting' in value) return 'reconnecting';
  const session = (value as { session?: unknown }).session;
  if (session === 'connecting' || session === 'authenticating') return session;
  return 'ready';
}
