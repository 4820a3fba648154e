/**
 * `@kalam/react` — React hooks for Kalam Live: `useLiveQuery`, `useLiveQuerySuspense`,
 * `useConnectionState`, over `@kalam/client`. The hooks only acquire and release live queries;
 * sharing, reconnects and resume live in kalam-link.
 *
 * @packageDocumentation
 */
export { KalamProvider, useKalamClient } from './KalamProvider.js';
export type { KalamProviderProps } from './KalamProvider.js';
export { useLiveQuery } from './useLiveQuery.js';
export type { UseLiveQueryOptions } from './useLiveQuery.js';
export { useLiveQuerySuspense } from './useLiveQuerySuspense.js';
export type { UseLiveQuerySuspenseOptions } from './useLiveQuerySuspense.js';
export { useConnectionState } from './useConnectionState.js';
export type { LiveQueryResult, LiveQueryStatus } from './liveQueryStore.js';
