import { fromCallback } from 'xstate';

/** Events the browser environment sends to the connection machine. */
export type EnvironmentEvent =
  | {
      /** `window` fired `online`: retry now instead of waiting out the backoff. */
      readonly type: 'ONLINE';
    }
  | {
      /** The page became visible again: retry now. */
      readonly type: 'VISIBLE';
    };

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

function target(name: 'window' | 'document'): EventTargetLike | undefined {
  const value: unknown = (globalThis as Record<string, unknown>)[name];
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Partial<EventTargetLike>;
  return typeof candidate.addEventListener === 'function' && typeof candidate.removeEventListener === 'function' ? (value as EventTargetLike) : undefined;
}

/** False only when the platform says it is offline (`navigator.onLine === false`); Node has no such flag. */
export function platformOnline(): boolean {
  const nav: unknown = (globalThis as Record<string, unknown>).navigator;
  if (typeof nav !== 'object' || nav === null) return true;
  const onLine = (nav as { onLine?: unknown }).onLine;
  return onLine !== false;
}

/** Listens to `online` (window) and `visibilitychange` → visible (document), where they exist. */
export const environmentActor = fromCallback<{ type: 'NONE' }, undefined>(({ sendBack }) => {
  const win = target('window');
  const doc = target('document');
  const onOnline = (): void => sendBack({ type: 'ONLINE' } satisfies EnvironmentEvent);
  const onVisibility = (): void => {
    const state: unknown = (globalThis as { document?: { visibilityState?: unknown } }).document?.visibilityState;
    if (state === 'visible') sendBack({ type: 'VISIBLE' } satisfies EnvironmentEvent);
  };
  win?.addEventListener('online', onOnline);
  doc?.addEventListener('visibilitychange', onVisibility);
  return () => {
    win?.removeEventListener('online', onOnline);
    doc?.removeEventListener('visibilitychange', onVisibility);
  };
});
