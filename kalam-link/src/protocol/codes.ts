/**
 * Close codes and error codes of protocol v1 (PROTOCOL.md §Close codes, §Error codes).
 */

/**
 * WebSocket close codes used by Kalam Live servers, each with what a client must do
 * (see {@link closeAction}).
 *
 * @example
 * ```ts
 * link.on('state', ({ lastClose }) => {
 *   if (lastClose?.code === CloseCode.KILLED) console.log('killed by an admin; not reconnecting');
 * });
 * ```
 */
export const CloseCode = {
  /** Normal closure (client `disconnect()`, or server with nothing more to say). Client: reconnect with backoff if it did not ask for the close. */
  NORMAL: 1000,
  /** Server going away (shutdown, restart). Client: reconnect with backoff and resume. */
  GOING_AWAY: 1001,
  /** No close frame (abrupt drop). Never sent; seen by clients. Client: reconnect with backoff and resume. */
  ABNORMAL: 1006,
  /** KalamDB: authentication failed (policy violation). Client: as {@link CloseCode.AUTH_FAILED}. */
  POLICY_VIOLATION: 1008,
  /** Server internal error. Client: reconnect with backoff and resume. */
  INTERNAL_ERROR: 1011,
  /** Token rejected. Client: get a fresh token once and reconnect at once; if that fails too, stop. */
  AUTH_FAILED: 4001,
  /** Token expired on an open socket. Client: get a fresh token, reconnect at once, resume. */
  AUTH_EXPIRED: 4002,
  /** User dropped or disabled. Client: stop for good. */
  AUTH_REVOKED: 4003,
  /** Killed by an administrator (`KILL CONNECTION`). Client: stop; never reconnect by itself. */
  KILLED: 4004,
  /** Server heard nothing from the client within its client timeout. Client: reconnect with backoff and resume. */
  HEARTBEAT_TIMEOUT: 4005,
  /** Server's outbound buffer for this socket overflowed. Client: reconnect with backoff and resume (nothing was dropped silently). */
  SLOW_CONSUMER: 4006,
  /** Client broke the protocol. Client: stop (a bug); report the reason. */
  PROTOCOL_VIOLATION: 4007,
  /** No `authenticate` within the auth timeout. Client: reconnect with backoff. */
  AUTH_TIMEOUT: 4008,
  /** Connection limit reached (server or per user). Client: reconnect with backoff. */
  TOO_MANY_CONNECTIONS: 4009,
} as const;

/** A known close code. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** What a client must do after a close. */
export type CloseAction = 'reconnect' | 'refresh_and_reconnect' | 'stop';

/**
 * The client's reaction to a server-initiated close (PROTOCOL.md close-code table).
 * Unknown codes in 4000–4499 and all other codes reconnect with backoff; 4500–4999 stop.
 *
 * @param code - the WebSocket close code
 * @returns `reconnect` (with backoff, then resume), `refresh_and_reconnect` (fresh token, at once) or `stop`
 * @example
 * ```ts
 * closeAction(CloseCode.GOING_AWAY);   // 'reconnect'
 * closeAction(CloseCode.AUTH_EXPIRED); // 'refresh_and_reconnect'
 * closeAction(CloseCode.KILLED);       // 'stop'
 * ```
 */
export function closeAction(code: number): CloseAction {
  switch (code) {
    case CloseCode.AUTH_EXPIRED:
      return 'refresh_and_reconnect';
    case CloseCode.AUTH_FAILED:
    case CloseCode.POLICY_VIOLATION:
      return 'refresh_and_reconnect';
    case CloseCode.AUTH_REVOKED:
    case CloseCode.KILLED:
    case CloseCode.PROTOCOL_VIOLATION:
      return 'stop';
    default:
      return code >= 4500 && code <= 4999 ? 'stop' : 'reconnect';
  }
}

/**
 * Error codes carried by `error` frames, HTTP errors and {@link KalamError}.
 *
 * @example
 * ```ts
 * if (KalamError.is(error, ErrorCode.UNAUTHORIZED)) showLogin();
 * ```
 */
export const ErrorCode = {
  // KalamDB's codes
  /** A message other than `authenticate` arrived before authentication. */
  AUTH_REQUIRED: 'AUTH_REQUIRED',
  /** Blank subscription id. */
  INVALID_SUBSCRIPTION_ID: 'INVALID_SUBSCRIPTION_ID',
  /** Too many subscriptions on this connection. */
  SUBSCRIPTION_LIMIT_EXCEEDED: 'SUBSCRIPTION_LIMIT_EXCEEDED',
  /** Permission denied (table, system table, DDL). */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** Unknown table, subscription, connection or live query. */
  NOT_FOUND: 'NOT_FOUND',
  /** Unparsable SQL. */
  INVALID_SQL: 'INVALID_SQL',
  /** Valid SQL that is not allowed here (e.g. ORDER BY in a live query). */
  UNSUPPORTED: 'UNSUPPORTED',
  /** Registration or snapshot failed for another reason. */
  SUBSCRIPTION_FAILED: 'SUBSCRIPTION_FAILED',
  /** A row could not be encoded. */
  CONVERSION_ERROR: 'CONVERSION_ERROR',
  /** `next_batch` failed, or no batch was pending. */
  BATCH_FETCH_FAILED: 'BATCH_FETCH_FAILED',
  /** Inbound frame over the server limit (ignored; the connection stays open). */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** Inbound rate over the limit (the frame is ignored). */
  RATE_LIMIT_EXCEEDED: 'RATE_LIMIT_EXCEEDED',
  /** KalamDB: binary frame in JSON mode or undecodable msgpack (Kalam Live uses `PROTOCOL`). */
  UNSUPPORTED_DATA: 'UNSUPPORTED_DATA',
  /** Malformed frame or message (never any other exception from a codec). */
  PROTOCOL: 'PROTOCOL',
  // ours
  /** Credentials or token rejected. */
  AUTH_FAILED: 'AUTH_FAILED',
  /** The token expired. */
  AUTH_EXPIRED: 'AUTH_EXPIRED',
  /** The user was dropped or disabled. */
  AUTH_REVOKED: 'AUTH_REVOKED',
  /** An administrator killed the connection (close 4004). */
  KILLED: 'KILLED',
  /** Too many connections (server or per user). */
  CONNECTION_LIMIT_EXCEEDED: 'CONNECTION_LIMIT_EXCEEDED',
  /** Client side: the subscription id is already in use on this client. */
  DUPLICATE_SUBSCRIPTION_ID: 'DUPLICATE_SUBSCRIPTION_ID',
  /** A bad parameter or option value. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** Duplicate primary key. */
  CONFLICT: 'CONFLICT',
  /** Server bug or unexpected failure (client side: a listener threw). */
  INTERNAL: 'INTERNAL',
  // client-side only
  /** Client side: the socket closed (see `closeCode`). */
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
  /** Client side: an operation timed out. */
  TIMEOUT: 'TIMEOUT',
  /** Client side: aborted through an `AbortSignal`. */
  ABORTED: 'ABORTED',
  /** Client side: the link, subscription or live query is closed. */
  CLOSED: 'CLOSED',
  /** Client side: the network request failed (or no `fetch` is available). */
  NETWORK: 'NETWORK',
} as const;

/** A known error code. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];
