import { useSyncExternalStore } from 'react';
import type { ConnectionSnapshot } from '@kalam/client';
import { useKalamClient } from './KalamProvider.js';

/**
 * The client's connection snapshot — `state` (`idle`, `connecting`, `authenticating`, `ready`,
 * `reconnecting`, `closed`, `killed`, `auth_revoked`, `auth_failed`), attempt, reconnects, last
 * close and error — re-rendering when it changes. Opens no socket by itself.
 *
 * @example
 * ```tsx
 * function Badge() {
 *   const { state } = useConnectionState();
 *   return <span>{state === 'ready' ? 'live' : state}</span>;
 * }
 * ```
 */
export function useConnectionState(): ConnectionSnapshot {
  const client = useKalamClient();
  return useSyncExternalStore(client.subscribeState, client.getSnapshot, client.getSnapshot);
}
