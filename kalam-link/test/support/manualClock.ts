import type { Timers } from '../../src/internal/timers.js';

/** Let pending promise callbacks and queued microtasks run (real setImmediate: a macrotask turn). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Pending {
  readonly at: number;
  readonly order: number;
  readonly fn: () => void;
}

/** A deterministic clock for the link's injectable `timers`: time moves only in `advance()`. */
export class ManualClock implements Timers {
  private current = 1_800_000_000_000;
  private order = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.pending.set(id, { at: this.current + Math.max(0, ms), order: this.order++, fn });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };

  now = (): number => this.current;

  /** Number of timers waiting. */
  get size(): number {
    return this.pending.size;
  }

  /** Delay of the earliest pending timer from now, if any. */
  nextDelay(): number | undefined {
    let best: Pending | undefined;
    for (const p of this.pending.values()) if (best === undefined || p.at < best.at || (p.at === best.at && p.order < best.order)) best = p;
    return best === undefined ? undefined : best.at - this.current;
  }

  /** Move time forward, firing due timers in order (with promise flushes in between). */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await flush();
    for (;;) {
      let dueId: number | undefined;
      let due: Pending | undefined;
      for (const [id, p] of this.pending) {
        if (p.at > target) continue;
        if (due === undefined || p.at < due.at || (p.at === due.at && p.order < due.order)) {
          due = p;
          dueId = id;
        }
      }
      if (due === undefined || dueId === undefined) break;
      this.pending.delete(dueId);
      this.current = due.at;
      due.fn();
      await flush();
    }
    this.current = target;
    await flush();
  }
}
