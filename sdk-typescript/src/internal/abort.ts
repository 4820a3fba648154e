import { KalamError } from '@kalam/link';

/** The error every aborted operation rejects with. */
export function abortError(signal: AbortSignal): KalamError {
  return new KalamError('ABORTED', 'operation aborted', { cause: signal.reason });
}

/** Runs `onAbort` once when `signal` aborts; returns a function that detaches the listener. */
export function onAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
