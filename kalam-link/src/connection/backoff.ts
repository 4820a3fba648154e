/** Reconnect backoff settings. */
export interface ReconnectOptions {
  /** First retry's upper bound in ms. @default 500 */
  readonly baseDelayMs?: number;
  /** Upper bound of any retry delay in ms. @default 20000 */
  readonly maxDelayMs?: number;
  /**
   * Upper bound (ms) of the first retry after a ready connection dropped, unless the close code
   * asks clients to spread out ({@link SPREAD_OUT_CLOSE_CODES}); 0 retries at once. @default 100
   */
  readonly firstRetryMaxDelayMs?: number;
  /** The attempt counter resets only after the connection stayed ready this long (ms). @default 10000 */
  readonly stableAfterMs?: number;
  /** Random source in [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
}

/** {@link ReconnectOptions} with every default applied. */
export interface ResolvedReconnectOptions {
  /** First retry's upper bound in ms. */
  readonly baseDelayMs: number;
  /** Upper bound of any retry delay in ms. */
  readonly maxDelayMs: number;
  /** Upper bound of the quick first retry after a ready connection dropped. */
  readonly firstRetryMaxDelayMs: number;
  /** Ready time (ms) after which the attempt counter resets. */
  readonly stableAfterMs: number;
  /** Random source in [0, 1). */
  readonly random: () => number;
}

/**
 * Apply the defaults (500 ms base, 20 s cap, 100 ms quick first retry, 10 s stability, `Math.random`).
 *
 * @example
 * ```ts
 * const options = resolveReconnectOptions({ maxDelayMs: 5_000 });
 * backoffDelay(3, options); // uniform in [0, 4000)
 * ```
 */
export function resolveReconnectOptions(options: ReconnectOptions | undefined): ResolvedReconnectOptions {
  return {
    baseDelayMs: options?.baseDelayMs ?? 500,
    maxDelayMs: options?.maxDelayMs ?? 20_000,
    firstRetryMaxDelayMs: options?.firstRetryMaxDelayMs ?? 100,
    stableAfterMs: options?.stableAfterMs ?? 10_000,
    random: options?.random ?? Math.random,
  };
}

/** Upper bound of the wait before retry number `attempt` (0-based): `min(max, base · 2^attempt)`. */
export function backoffCeiling(attempt: number, options: ResolvedReconnectOptions): number {
  // 2^attempt overflows to Infinity for large attempts; min() caps it.
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt));
}

/** Full jitter (AWS architecture blog): a uniform wait in [0, ceiling). */
export function backoffDelay(attempt: number, options: ResolvedReconnectOptions): number {
  return jitter(backoffCeiling(attempt, options), options);
}

/**
 * Close codes after which even the first retry uses the full backoff: the server is going away
 * (1001, 1012), overloaded (1013, 4006 slow consumer, 4009 connection limit) or unresponsive (4005,
 * also the client's own heartbeat timeout), so every client of it is retrying at the same moment.
 */
export const SPREAD_OUT_CLOSE_CODES: ReadonlySet<number> = new Set([1001, 1012, 1013, 4005, 4006, 4009]);

/**
 * The wait before reconnect attempt `attempt` (0-based). The first retry after a connection that
 * was ready waits uniformly in [0, firstRetryMaxDelayMs) — a dropped socket resumes at once —
 * unless `closeCode` is in {@link SPREAD_OUT_CLOSE_CODES}; every other wait is {@link backoffDelay}.
 *
 * @example
 * ```ts
 * const options = resolveReconnectOptions(undefined);
 * reconnectDelay(0, true, 1006, options); // uniform in [0, 100)
 * reconnectDelay(0, true, 1001, options); // uniform in [0, 500)
 * reconnectDelay(1, true, 1006, options); // uniform in [0, 1000)
 * ```
 */
export function reconnectDelay(attempt: number, wasReady: boolean, closeCode: number | undefined, options: ResolvedReconnectOptions): number {
  if (attempt === 0 && wasReady && (closeCode === undefined || !SPREAD_OUT_CLOSE_CODES.has(closeCode))) {
    return jitter(Math.min(options.firstRetryMaxDelayMs, backoffCeiling(0, options)), options);
  }
  return backoffDelay(attempt, options);
}

function jitter(ceiling: number, options: ResolvedReconnectOptions): number {
  const r = options.random();
  const unit = r >= 0 && r < 1 ? r : 0;
  return Math.floor(unit * ceiling);
}
