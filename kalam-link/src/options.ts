/**
 * Options of {@link createLink} and their defaults.
 */
import type { InspectionEvent, Observer } from 'xstate';
import type { AuthProvider } from './auth.js';
import { resolveReconnectOptions, type ReconnectOptions, type ResolvedReconnectOptions } from './connection/backoff.js';
import { resolveFetch, type FetchLike } from './http.js';
import { resolveTimers, type Timers } from './internal/timers.js';
import type { Serialization } from './protocol/messages.js';
import { DEFAULT_MAX_FRAME_BYTES } from './protocol/wire.js';
import { resolveWebSocket } from './transport/resolveWebSocket.js';
import type { WebSocketConstructor } from './transport/webSocketLike.js';

export type { ReconnectOptions } from './connection/backoff.js';
export type { Timers } from './internal/timers.js';

/**
 * Options of {@link createLink}. Only `url` and `auth` are required.
 *
 * @example
 * ```ts
 * const options: LinkOptions = {
 *   url: 'https://kalam.example.com',
 *   auth: Auth.basic('alice', 'alice-password'),
 *   serialization: 'json',            // readable frames while debugging
 *   reconnect: { maxDelayMs: 5_000 },
 * };
 * ```
 */
export interface LinkOptions {
  /** HTTP(S) base URL of the server, e.g. `http://localhost:8080`. The socket goes to `ws(s)://…/v1/ws`. */
  readonly url: string;
  /** Where tokens come from: `Auth.basic`, `Auth.jwt` or `Auth.provider`. */
  readonly auth: AuthProvider;
  /** Frame serialization after authentication. @default 'msgpack' */
  readonly serialization?: Serialization;
  /** WebSocket constructor. @default isomorphic-ws (`ws` in Node, the global in browsers) */
  readonly WebSocket?: WebSocketConstructor;
  /** `fetch` for login and SQL. @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** Clock for every delay (tests inject fakes). @default the platform's timers and `Date.now` */
  readonly timers?: Partial<Timers>;
  /** Reconnect backoff (full jitter). @default see {@link ReconnectOptions} */
  readonly reconnect?: ReconnectOptions;
  /** Send `ping` this often while ready (ms). @default 10000 */
  readonly pingIntervalMs?: number;
  /** Reconnect when nothing arrives this long after a ping (ms). @default 5000 */
  readonly pongTimeoutMs?: number;
  /** Give up an attempt when the socket and token are not ready within this (ms). @default 10000 */
  readonly connectTimeoutMs?: number;
  /** Give up an attempt when `auth_success` does not arrive within this (ms). @default 10000 */
  readonly authTimeoutMs?: number;
  /** Connect on the first subscription (or `connect()`) rather than at creation. @default true */
  readonly lazy?: boolean;
  /** xstate inspection observer for the connection machine (e.g. Stately Inspector). */
  readonly inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Largest inbound frame accepted, in bytes (after gzip inflation). @default 67108864 (64 MiB) */
  readonly maxFrameBytes?: number;
}

/** Options with defaults applied (internal). */
export interface ResolvedLinkOptions {
  readonly url: string;
  readonly wsUrl: string;
  readonly auth: AuthProvider;
  readonly serialization: Serialization;
  readonly WebSocket: WebSocketConstructor;
  readonly fetch: FetchLike;
  readonly timers: Timers;
  readonly reconnect: ResolvedReconnectOptions;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly authTimeoutMs: number;
  readonly lazy: boolean;
  readonly maxFrameBytes: number;
}

export function resolveLinkOptions(options: LinkOptions, wsUrl: string): ResolvedLinkOptions {
  return {
    url: options.url,
    wsUrl,
    auth: options.auth,
    serialization: options.serialization ?? 'msgpack',
    WebSocket: resolveWebSocket(options.WebSocket),
    fetch: resolveFetch(options.fetch),
    timers: resolveTimers(options.timers),
    reconnect: resolveReconnectOptions(options.reconnect),
    pingIntervalMs: options.pingIntervalMs ?? 10_000,
    pongTimeoutMs: options.pongTimeoutMs ?? 5_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    authTimeoutMs: options.authTimeoutMs ?? 10_000,
    lazy: options.lazy ?? true,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
  };
}
