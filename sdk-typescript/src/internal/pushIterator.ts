/**
 * A push-fed async iterator: values pushed while nobody awaits are queued; `end()` finishes it,
 * `fail(error)` makes the next `next()` reject once the queue is drained.
 */
export interface PushIterator<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  end(): void;
  fail(error: unknown): void;
}

/** Creates a {@link PushIterator}; `onReturn` runs once when the consumer stops (break/return/end). */
export function pushIterator<T>(onReturn: () => void): PushIterator<T> {
  const queue: T[] = [];
  const waiters: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let returned = false;

  const finish = (): void => {
    if (returned) return;
    returned = true;
    onReturn();
  };
  const settleWaiters = (): void => {
    while (waiters.length > 0 && queue.length === 0 && (done || failure)) {
      const w = waiters.shift();
      if (!w) break;
      if (failure) {
        const { error } = failure;
        failure = undefined;
        done = true;
        w.reject(error);
      } else w.resolve({ value: undefined, done: true });
    }
  };

  const it: PushIterator<T> = {
    push(value) {
      if (done || failure) return;
      const w = waiters.shift();
      if (w) w.resolve({ value, done: false });
      else queue.push(value);
    },
    end() {
      if (done || failure) return;
      done = true;
      settleWaiters();
      if (queue.length === 0) finish();
    },
    fail(error) {
      if (done || failure) return;
      failure = { error };
      settleWaiters();
      finish();
    },
    next() {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
      if (failure) {
        const { error } = failure;
        failure = undefined;
        done = true;
        return Promise.reject(error);
      }
      if (done) {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    return() {
      done = true;
      queue.length = 0;
      failure = undefined;
      settleWaiters();
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
