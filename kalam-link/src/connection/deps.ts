import type { TokenInfo } from '../auth.js';
import type { KalamError } from '../errors.js';
import type { ResolvedReconnectOptions } from './backoff.js';
import type { Timers } from '../internal/timers.js';
import type { ClientMessage, ServerMessage, Serialization } from '../protocol/messages.js';
import type { WebSocketConstructor } from '../transport/webSocketLike.js';

/** A frame seen on the socket (for inspectors). */
export interface FrameInfo {
  readonly direction: 'in' | 'out';
  readonly type: string;
  readonly subscriptionId?: string;
  readonly bytes: number;
}

/** An authenticated socket the registry can write to. */
export interface Transport {
  readonly serialization: Serialization;
  /** Encode and send; false when the socket is no longer open. */
  send(message: ClientMessage): boolean;
}

/**
 * Everything the connection machine needs from its host (the link, or a test). Passed as the
 * machine's input so the machine definition itself stays free of platform code.
 */
export interface ConnectionDeps {
  readonly wsUrl: string;
  readonly WebSocket: WebSocketConstructor;
  readonly serialization: Serialization;
  readonly timers: Timers;
  readonly reconnect: ResolvedReconnectOptions;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly authTimeoutMs: number;
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
