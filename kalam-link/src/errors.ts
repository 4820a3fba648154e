import type { ErrorCodeValue } from './protocol/codes.js';

/** Error code: a known {@link ErrorCode} value, or a code a server sent that this version does not know. */
export type KalamErrorCode = ErrorCodeValue | (string & {});

/** Options of a {@link KalamError}. */
export interface KalamErrorOptions {
  /** Underlying error. */
  readonly cause?: unknown;
  /** Subscription concerned, when there is one. */
  readonly subscriptionId?: string;
  /** WebSocket close code, when the error comes from a close. */
  readonly closeCode?: number;
}

/**
 * The one error type of Kalam Live: a code and a message. Codecs, the link, subscriptions and
 * HTTP calls throw (or report) nothing else.
 *
 * @example
 * ```ts
 * try {
 *   await link.query('SELEC 1');
 * } catch (e) {
 *   if (KalamError.is(e, 'INVALID_SQL')) console.log(e.message);
 *   else throw e;
 * }
 * ```
 */
export class KalamError extends Error {
  /** Machine-readable code, e.g. `PROTOCOL`, `UNAUTHORIZED`, `KILLED`. */
  readonly code: KalamErrorCode;
  /** Subscription concerned, when there is one. */
  readonly subscriptionId: string | undefined;
  /** WebSocket close code, when the error comes from a close. */
  readonly closeCode: number | undefined;

  /**
   * Create an error. Prefer the codes in {@link ErrorCode}.
   *
   * @param code - an {@link ErrorCode} value (or a server's code this version does not know)
   * @param message - human-readable description
   * @param options - `cause`, `subscriptionId`, `closeCode`
   */
  constructor(code: KalamErrorCode, message: string, options: KalamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KalamError';
    this.code = code;
    this.subscriptionId = options.subscriptionId;
    this.closeCode = options.closeCode;
  }

  /**
   * True when `value` is a `KalamError`, optionally with the given code.
   *
   * @example
   * ```ts
   * if (KalamError.is(error, 'KILLED')) showBanner('Disconnected by an administrator');
   * ```
   */
  static is(value: unknown, code?: KalamErrorCode): value is KalamError {
    return value instanceof KalamError && (code === undefined || value.code === code);
  }
}

/**
 * @internal `e` itself when it is a KalamError; otherwise a KalamError of `code` whose message is
 * `context: <e's message>`, with `e` as its cause.
 */
export function asKalamError(e: unknown, code: KalamErrorCode, context: string, options: KalamErrorOptions = {}): KalamError {
  return e instanceof KalamError ? e : new KalamError(code, `${context}: ${e instanceof Error ? e.message : String(e)}`, { ...options, cause: e });
}
