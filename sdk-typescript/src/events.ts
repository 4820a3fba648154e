/**
 * Typed subscription events: kalam-link's event union with the application's row type.
 */
import type { BatchControl, KalamError, SchemaField, SeqId, SubscriptionStatus } from '@kalam/link';

/**
 * The server acknowledged the subscription (first event, and again after every resume).
 *
 * @example
 * ```ts
 * sub.on('ack', (e) => console.log(e.schema.map((f) => f.name)));
 * ```
 */
export interface AckEvent {
  readonly type: 'ack';
  /** Projected columns, primary-key columns flagged `pk`. */
  readonly schema: readonly SchemaField[];
  /** `true`/`false` when the subscribe resumed from a SeqId; `undefined` otherwise. */
  readonly resumed: boolean | undefined;
}

/**
 * One snapshot batch; `final` on the last one (the subscription is then `ready`).
 *
 * @example
 * ```ts
 * sub.on('snapshot', (e) => rows.push(...e.rows));
 * ```
 */
export interface SnapshotEvent<R> {
  readonly type: 'snapshot';
  readonly rows: readonly R[];
  readonly batch: BatchControl;
  readonly final: boolean;
}

/**
 * The server could not resume: drop every row held for this subscription; a fresh snapshot follows.
 *
 * @example
 * ```ts
 * sub.on('reset', () => rows.length = 0);
 * ```
 */
export interface ResetEvent {
  readonly type: 'reset';
}

/**
 * A row entered the result set.
 *
 * @example
 * ```ts
 * sub.on('insert', (e) => console.log('new', e.row));
 * ```
 */
export interface InsertEvent<R> {
  readonly type: 'insert';
  readonly row: R;
  readonly seq: SeqId;
}

/**
 * A row of the result set changed: `row` is the complete new row, `oldRow` the old one when the server sent it.
 *
 * @example
 * ```ts
 * sub.on('update', (e) => console.log(e.oldRow, '→', e.row));
 * ```
 */
export interface UpdateEvent<R> {
  readonly type: 'update';
  readonly row: R;
  readonly oldRow: R | undefined;
  readonly seq: SeqId;
}

/**
 * A row left the result set (deleted, or it no longer matches the WHERE).
 *
 * @example
 * ```ts
 * sub.on('delete', (e) => console.log('gone', e.oldRow));
 * ```
 */
export interface DeleteEvent<R> {
  readonly type: 'delete';
  readonly oldRow: R;
  readonly seq: SeqId;
}

/**
 * The subscription's status changed.
 *
 * @example
 * ```ts
 * sub.on('status', (e) => console.log(e.status));
 * ```
 */
export interface StatusEvent {
  readonly type: 'status';
  readonly status: SubscriptionStatus;
}

/**
 * An error for this subscription; when `fatal` the subscription is over.
 *
 * @example
 * ```ts
 * sub.on('error', (e) => console.error(e.error.code, e.error.message));
 * ```
 */
export interface ErrorEvent {
  readonly type: 'error';
  readonly error: KalamError;
  readonly fatal: boolean;
}

/**
 * Every event of a {@link Subscription}, discriminated by `type`.
 *
 * @example
 * ```ts
 * for await (const ev of sub) {
 *   if (ev.type === 'insert') console.log(ev.row);
 * }
 * ```
 */
export type SubscriptionEvent<R> =
  | AckEvent
  | SnapshotEvent<R>
  | ResetEvent
  | InsertEvent<R>
  | UpdateEvent<R>
  | DeleteEvent<R>
  | StatusEvent
  | ErrorEvent;

/**
 * The `type` tags of {@link SubscriptionEvent}.
 *
 * @example
 * ```ts
 * const t: SubscriptionEventType = 'insert';
 * ```
 */
export type SubscriptionEventType = SubscriptionEvent<unknown>['type'];

/**
 * The event with tag `T`.
 *
 * @example
 * ```ts
 * type Ins = EventOf<Todo, 'insert'>; // InsertEvent<Todo>
 * ```
 */
export type EventOf<R, T extends SubscriptionEventType> = Extract<SubscriptionEvent<R>, { readonly type: T }>;
