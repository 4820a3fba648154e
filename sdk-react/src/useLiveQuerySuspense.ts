import { KalamError, type KalamClient, type ParamValue, type Row, type RowKeyOption } from '@kalam/client';
import { useKalamClient } from './KalamProvider.js';
import { liveOptions, specKey, type LiveQueryResult, type LiveQuerySpec } from './liveQueryStore.js';
import { useLiveQueryState } from './useLiveQuery.js';

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

/**
 * First loads in flight, per client and query. A render that must suspend takes no reference of
 * its own: the first one starts the load here (one reference, released when it settles), and every
 * other render of the same query — StrictMode's second render, React's retries, sibling components —
 * suspends on the same promise. After the release, kalam-link's linger keeps the query open for the
 * committed hook, which takes its own reference; if React retries later than the linger, the retry
 * simply loads again. A load abandoned by its component holds its reference only until it settles
 * (ready, failed, or the client closed).
 */
const loads = new WeakMap<KalamClient, Map<string, Promise<void>>>();
/** Errors of suspended first loads, kept for the retry render (a suspended component keeps no state). */
const failures = new WeakMap<KalamClient, Map<string, KalamError>>();
/** On the server the component suspends for good: its Suspense fallback is rendered, no socket opens. */
const SERVER_PENDING: Promise<void> = new Promise<void>(() => {});

const isReady = (status: string): boolean => status === 'ready' || status === 'resuming';

/**
 * Like {@link useLiveQuery}, but suspends (throws a promise to the nearest `<Suspense>`) until the
 * snapshot is loaded, and throws the `KalamError` to the nearest error boundary when the query fails.
 * Once shown, it does not suspend again (a reconnect shows status `resuming`). It does not suspend
 * at all when the same query is already loaded elsewhere. Rendering takes no reference beyond one
 * per query being loaded, so StrictMode and abandoned renders leak no subscription.
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
  const { held, result } = useLiveQueryState<R>(sql, options);
  if (result.status === 'error') throw result.error ?? new KalamError('SUBSCRIPTION_FAILED', 'live query failed');
  // Committed (the hook holds the query), or the shared query is already loaded: show it.
  if (held || isReady(result.status)) return result;
  if (typeof document === 'undefined') throw SERVER_PENDING;

  const spec: LiveQuerySpec<R> = { sql, params: options.params, key: options.key };
  const id = specKey(spec);
  const failed = failures.get(client)?.get(id);
  if (failed !== undefined) {
    failures.get(client)?.delete(id);
    throw failed;
  }
  throw load(client, id, spec);
}

/** The in-flight first load of `spec` (started if none): resolves when it settled and its reference is released. */
function load<R extends object>(client: KalamClient, id: string, spec: LiveQuerySpec<R>): Promise<void> {
  let inFlight = loads.get(client);
  if (inFlight === undefined) loads.set(client, (inFlight = new Map()));
  const existing = inFlight.get(id);
  if (existing !== undefined) return existing;
  const byId = inFlight;
  const query = client.live<R>(spec.sql, liveOptions(spec));
  const settled = query
    .ready()
    .catch((error: unknown) => {
      let map = failures.get(client);
      if (map === undefined) failures.set(client, (map = new Map()));
      map.set(id, KalamError.is(error) ? error : new KalamError('SUBSCRIPTION_FAILED', String(error)));
    })
    .finally(() => {
      byId.delete(id);
      query.close();
    });
  byId.set(id, settled);
  return settled;
}
