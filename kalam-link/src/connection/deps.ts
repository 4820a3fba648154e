import type { TokenInfo } from '../auth.js';
import type { KalamError } from '../errors.js';
import type { ResolvedReconnectOptions } from './backoff.js';
import type { Timers } from '../internal/timers.js';
import type { ClientMessage, ServerMessage, Serialization } from '../protocol/messages.js';
import type { WebSocketConstructor } from '../transport/webSocketLike.js';

/** A frame seen on the socket (for inspectors). */
export interface FrameInfo {
  /** `in` = server → client. */
  readonly direction: 'in' | 'out';
  /** The message's `type` tag. */
  readonly type: string;
  /** The subscription concerned, when the message names one. */
  readonly subscriptionId?: string;
  /** Frame size: bytes of a binary frame (compressed size when gzip), characters of a text frame. */
  readonly bytes: number;
}

/** An authenticated socket the registry can write to. */
export interface Transport {
  /** The negotiated serialization. */
  readonly serialization: Serialization;
  /** Encode and send; false when the socket is no longer open. */
  send(message: ClientMessage): boolean;
}

/**
 * Everything the connection machine needs from its host (the link, or a test). Passed as the
 * machine's input so the machine definition itself stays free of platform code.
 */
export interface ConnectionDeps {
  /** The `ws(s)://…/v1/ws` endpoint. */
  readonly wsUrl: string;
  /** WebSocket constructor. */
  readonly WebSocket: WebSocketConstructor;
  /** Serialization to request in `authenticate`. */
  readonly serialization: Serialization;
  /** Clock for delays. */
  readonly timers: Timers;
  /** Backoff settings. */
  readonly reconnect: ResolvedReconnectOptions;
  /** See {@link LinkOptions.pingIntervalMs}. */
  readonly pingIntervalMs: number;
  /** See {@link LinkOptions.pongTimeoutMs}. */
  readonly pongTimeoutMs: number;
  /** See {@link LinkOptions.connectTimeoutMs}. */
  readonly connectTimeoutMs: number;
  /** See {@link LinkOptions.authTimeoutMs}. */
  readonly authTimeoutMs: number;
  /** See {@link LinkOptions.maxFrameBytes}. */
  readonly maxFrameBytes: number;
  /** Whether the token source can mint a new token (schedules in-band refresh). */
  readonly refreshable: boolean;
  /** Ask the auth provider for a token. Rejects with a KalamError. */
  getToken(forceRefresh: boolean): Promise<TokenInfo>;
  /** Hot path: every decoded server message except auth_success / auth_error. */
  onMessage(message: ServerMessage): void;
  /** An authenticated socket appeared (before the machine enters `ready`) or went away (`undefined`). */
  onTransport(transport: Transport | undefined): void;
  /** Non-fatal problems (undecodable frame, connection-level `error` frames). */
  onError(error: KalamError): void;
  /** Frame tap for inspectors; undefined when nobody listens (keeps the hot path allocation-free). */
  readonly onFrame: ((frame: FrameInfo) => void) | undefined;
  /** A socket is closing in the background; the promise settles when it has closed. */
  trackClosing(closed: Promise<void>): void;
}
