import { useMemo, useSyncExternalStore } from 'react';
import type { ParamValue, Row, RowKeyOption } from '@kalam/client';
import { useKalamClient } from './KalamProvider.js';
import { IDLE_STORE, LiveQueryStore, specKey, type LiveQueryResult, type LiveQuerySpec } from './liveQueryStore.js';

/**
 * Options of {@link useLiveQuery}.
 *
 * @example
 * ```tsx
 * useLiveQuery<Todo>('SELECT * FROM app.todos WHERE owner = $1', { params: [user], enabled: user !== '' });
 * ```
 */
export interface UseLiveQueryOptions<R> {
  /** Values for `$1..$n`. Compared by value, so an inline array is fine. */
  readonly params?: readonly ParamValue[];
  /** `false` opens no subscription and returns status `idle`. @default true */
  readonly enabled?: boolean;
  /** Row identity (column, columns, or a stable function). @default the primary-key columns */
  readonly key?: RowKeyOption<R>;
}

/**
 * The live rows of a SQL query, re-rendering on every insert, update and delete.
 *
 * Components using the same SQL and params share one server subscription (counted by kalam-link,
 * kept a short linger after the last unmount, so StrictMode and route changes do not resubscribe).
 * Unchanged rows keep their identity, so `memo` children skip re-rendering. When the same query is
 * already live (another component shows it), the first render already has its rows — no `loading`
 * flash. During server rendering it returns status `loading` and opens no socket.
 *
 * @example
 * ```tsx
 * function Todos() {
 *   const { rows, status, error } = useLiveQuery<Todo>('SELECT * FROM app.todos');
 *   if (error) return <p>{error.code}</p>;
 *   if (status === 'loading') return <p>loading…</p>;
 *   return <ul>{rows.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
 * }
 * ```
 */
export function useLiveQuery<R extends object = Row>(sql: string, options: UseLiveQueryOptions<R> = {}): LiveQueryResult<R> {
  return useLiveQueryState<R>(sql, options).result;
}

/** `useLiveQuery`'s result and whether its store holds the query yet (committed), for the Suspense variant. */
export function useLiveQueryState<R extends object>(sql: string, options: UseLiveQueryOptions<R>): { readonly held: boolean; readonly result: LiveQueryResult<R> } {
  const client = useKalamClient();
  const enabled = options.enabled ?? true;
  const spec: LiveQuerySpec<R> = { sql, params: options.params, key: options.key };
  const id = specKey(spec);
  // The store only changes when the query does; `spec` is read through `id`.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const store = useMemo(() => (enabled ? new LiveQueryStore<R>(client, spec) : IDLE_STORE), [client, id, enabled]);
  const result = useSyncExternalStore<LiveQueryResult<R>>(store.subscribe, store.getSnapshot, store.getServerSnapshot);
  return { held: store.held, result };
}
