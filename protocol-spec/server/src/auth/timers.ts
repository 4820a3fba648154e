/**
 * A timer that fires at an absolute time, however far away: Node's `setTimeout` turns delays
 * above 2^31 − 1 ms (~24.8 days) into 1 ms, so long waits are chained.
 */

const MAX_DELAY_MS = 2_147_483_647;

/** Handle of a {@link setDeadline}; call to cancel. */
export type CancelDeadline = () => void;

/** Run `fn` once at `atMs` (ms since the epoch), never synchronously. Returns a canceller. */
export function setDeadline(atMs: number, fn: () => void): CancelDeadline {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    timer = setTimeout(tick, Math.min(Math.max(atMs - Date.now(), 0), MAX_DELAY_MS));
    timer.unref();
  };
  const tick = (): void => {
    if (atMs - Date.now() > 0) return schedule();
    timer = undefined;
    fn();
  };
  schedule();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}
