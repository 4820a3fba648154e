/**
 * Options of the client and its methods.
 */
import type { LinkOptions, LinkSharingOptions, ParamValue, RowKeyOption, SeqId } from '@kalam/link';
import type { KalamError } from '@kalam/link';
import type { SubscriptionEvent } from './events.js';

/**
 * Options of {@link createClient}: the server URL, credentials, and every kalam-link option
 * (serialization, WebSocket constructor, reconnect backoff, heartbeat, `liveQueryLingerMs`, …).
 *
 * @example
 * ```ts
 * const options: ClientOptions = { url: 'http://localhost:8080', auth: Auth.basic('alice', 'secret') };
 * ```
 */
export type ClientOptions = LinkOptions & LinkSharingOptions;

/**
 * Options of `client.subscribe()`.
 *
 * @example
 * ```ts
 * await client.subscribe<Todo>('SELECT * FROM app.todos WHERE owner = $1', {
 *   params: ['alice'],
 *   batchSize: 500,
 *   onEvent: (e) => console.log(e.type),
 * });
 * ```
 */
export interface ClientSubscribeOptions<R> {
  /** Values for `$1..$n` in the SQL. */
  readonly params?: readonly ParamValue[];
  /** Rows per snapshot batch. @default 1000 (server default) */
  readonly batchSize?: number;
  /** Snapshot only the newest N rows (at most `batchSize`). */
  readonly lastRows?: number;
  /** Resume after this SeqId instead of taking a snapshot (changes after it are replayed). */
  readonly from?: SeqId;
  /** Subscription id. @default generated */
  readonly id?: string;
  /** Aborting before ready rejects with `KalamError('ABORTED')`; at any time it unsubscribes. */
  readonly signal?: AbortSignal;
  /** Every event, from the first (snapshot batches included). */
  readonly onEvent?: (event: SubscriptionEvent<R>) => void;
  /** Every error of this subscription, fatal or not. */
  readonly onError?: (error: KalamError) => void;
}

/**
 * Options of `client.live()`.
 *
 * @example
 * ```ts
 * const todos = client.live<Todo>('SELECT * FROM app.todos', { key: 'id' });
 * ```
 */
export interface LiveOptions<R> {
  /** Values for `$1..$n` in the SQL. */
  readonly params?: readonly ParamValue[];
  /** Row identity. @default the schema's primary-key columns */
  readonly key?: RowKeyOption<R>;
  /** Aborting closes the live query. */
  readonly signal?: AbortSignal;
}

/**
 * Options of `client.query()`.
 *
 * @example
 * ```ts
 * await client.query('SELECT 1', [], { signal: AbortSignal.timeout(5000) });
 * ```
 */
export interface QueryOptions {
  /** Aborting cancels the HTTP request (rejects with `KalamError('ABORTED')`). */
  readonly signal?: AbortSignal;
}
