/** Injectable clock: the machine's delays, the registry and the auth cache all read time through it. */
export interface Timers {
  /** Run `callback` after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancel a timer started with `setTimeout`. */
  clearTimeout(handle: unknown): void;
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The platform's timers (looked up at call time so test fake timers installed later still apply). */
export const defaultTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** Fill the members a caller left out with the platform's. */
export function resolveTimers(timers: Partial<Timers> | undefined): Timers {
  if (timers === undefined) return defaultTimers;
  return {
    setTimeout: timers.setTimeout ?? defaultTimers.setTimeout,
    clearTimeout: timers.clearTimeout ?? defaultTimers.clearTimeout,
    now: timers.now ?? defaultTimers.now,
  };
}
