/**
 * Machine-wide monotonic clock in milliseconds (CLOCK_MONOTONIC via process.hrtime), so the
 * server process and the client child can subtract each other's readings without clock sync.
 */
export function nowMs() {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
