/**
 * Close codes and error codes of protocol v1 (PROTOCOL.md §Close codes, §Error codes).
 */

/** WebSocket close codes used by Kalam Live servers. */
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

/** Error codes carried by `error` frames, HTTP errors and {@link KalamError}. */
export const ErrorCode = {
  // KalamDB's codes
  AUTH_REQUIRED: 'AUTH_REQUIRED',
  INVALID_SUBSCRIPTION_ID: 'INVALID_SUBSCRIPTION_ID',
  SUBSCRIPTION_LIMIT_EXCEEDED: 'SUBSCRIPTION_LIMIT_EXCEEDED',
  UNAUTHORIZED: 'UNAUTHORIZED',
  NOT_FOUND: 'NOT_FOUND',
  INVALID_SQL: 'INVALID_SQL',
  UNSUPPORTED: 'UNSUPPORTED',
  SUBSCRIPTION_FAILED: 'SUBSCRIPTION_FAILED',
  CONVERSION_ERROR: 'CONVERSION_ERROR',
  BATCH_FETCH_FAILED: 'BATCH_FETCH_FAILED',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  RATE_LIMIT_EXCEEDED: 'RATE_LIMIT_EXCEEDED',
  UNSUPPORTED_DATA: 'UNSUPPORTED_DATA',
  PROTOCOL: 'PROTOCOL',
  // ours
  AUTH_FAILED: 'AUTH_FAILED',
  AUTH_EXPIRED: 'AUTH_EXPIRED',
  AUTH_REVOKED: 'AUTH_REVOKED',
  KILLED: 'KILLED',
  CONNECTION_LIMIT_EXCEEDED: 'CONNECTION_LIMIT_EXCEEDED',
  DUPLICATE_SUBSCRIPTION_ID: 'DUPLICATE_SUBSCRIPTION_ID',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  CONFLICT: 'CONFLICT',
  INTERNAL: 'INTERNAL',
  // client-side only
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
  TIMEOUT: 'TIMEOUT',
  ABORTED: 'ABORTED',
  CLOSED: 'CLOSED',
  NETWORK: 'NETWORK',
} as const;

/** A known error code. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];
