import { KalamError, type KalamClient, type LiveQuery, type ParamValue, type Row, type RowKeyOption } from '@kalam/client';
import { useKalamClient } from './KalamProvider.js';
import { LOADING, specKey, type LiveQueryResult } from './liveQueryStore.js';
import { useLiveQuery } from './useLiveQuery.js';

/**
 * Options of {@link useLiveQuerySuspense}.
 *
 * @example
 * ```tsx
 * useLiveQuerySuspense<Todo>('SELECT * FROM app.todos WHERE owner = $1', { params: [user] });
 * ```
 */
export interface UseLiveQuerySuspenseOptions<R> {
  /** Values for `$1..$n`. */
  readonly params?: readonly ParamValue[];
  /** Row identity. @default the primary-key columns */
  readonly key?: RowKeyOption<R>;
}

/** Errors of suspended first loads, kept for the retry render (a suspended component keeps no state). */
const failures = new WeakMap<KalamClient, Map<string, KalamError>>();
/** On the server the component suspends for good: its Suspense fallback is rendered, no socket opens. */
const SERVER_PENDING: Promise<void> = new Promise<void>(() => {});

const isReady = (status: string): boolean => status === 'ready' || status === 'resuming';

/**
 * Like {@link useLiveQuery}, but suspends (throws a promise to the nearest `<Suspense>`) until the
 * snapshot is loaded, and throws the `KalamError` to the nearest error boundary when the query fails.
 * Once shown, it does not suspend again (a reconnect shows status `resuming`).
 *
 * @example
 * ```tsx
 * function Todos() {
 *   const { rows } = useLiveQuerySuspense<Todo>('SELECT * FROM app.todos');
 *   return <ul>{rows.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
 * }
 * // <Suspense fallback={<p>loading…</p>}><Todos /></Suspense>
 * ```
 */
export function useLiveQuerySuspense<R extends object = Row>(sql: string, options: UseLiveQuerySuspenseOptions<R> = {}): LiveQueryResult<R> {
  const client = useKalamClient();
  const result = useLiveQuery<R>(sql, options);
  if (result !== LOADING) {
    if (result.status === 'error') throw result.error ?? new KalamError('SUBSCRIPTION_FAILED', 'live query failed');
    return result;
  }
  if (typeof document === 'undefined') throw SERVER_PENDING;

  const id = specKey({ sql, params: options.params, key: options.key });
  const failed = failures.get(client)?.get(id);
  if (failed !== undefined) {
    failures.get(client)?.delete(id);
    throw failed;
  }
  // Not committed yet: hold a reference during render; after release, kalam-link's linger keeps
  // the query alive until the committed hook acquires it again.
  const query: LiveQuery<R> = client.live<R>(sql, {
    ...(options.params === undefined ? {} : { params: options.params }),
    ...(options.key === undefined ? {} : { key: options.key }),
  });
  const snapshot = query.getSnapshot();
  if (isReady(snapshot.status)) {
    query.close();
    return snapshot;
  }
  throw query.ready().then(
    () => query.close(),
    (error: unknown) => {
      query.close();
      let map = failures.get(client);
      if (map === undefined) failures.set(client, (map = new Map()));
      map.set(id, KalamError.is(error) ? error : new KalamError('SUBSCRIPTION_FAILED', String(error)));
    },
  );
}
