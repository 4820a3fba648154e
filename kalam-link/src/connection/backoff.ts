/** Reconnect backoff settings. */
export interface ReconnectOptions {
  /** First retry's upper bound in ms. @default 500 */
  readonly baseDelayMs?: number;
  /** Upper bound of any retry delay in ms. @default 20000 */
  readonly maxDelayMs?: number;
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
  /** Ready time (ms) after which the attempt counter resets. */
  readonly stableAfterMs: number;
  /** Random source in [0, 1). */
  readonly random: () => number;
}

/**
 * Apply the defaults (500 ms base, 20 s cap, 10 s stability, `Math.random`).
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
  const r = options.random();
  const unit = r >= 0 && r < 1 ? r : 0;
  return Math.floor(unit * backoffCeiling(attempt, options));
}
