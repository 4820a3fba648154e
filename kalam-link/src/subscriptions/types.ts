/**
 * What a subscription tells the application, after SeqId filtering (duplicates and stale
 * frames never reach these listeners).
 */
import type { KalamError } from '../errors.js';
import type { BatchControl, ParamValue, Row, SchemaField } from '../protocol/messages.js';
import type { SeqId } from '../protocol/seqId.js';

/**
 * Per-subscription status (PROTOCOL.md, "Subscription states").
 * `pending` (queued, not yet acknowledged) → `loading` (snapshot batches) → `ready`
 * → `resuming` (socket dropped; re-subscribing from `lastSeqId`) → `ready`; or `error` / `closed` (terminal).
 */
export type SubscriptionStatus = 'pending' | 'loading' | 'ready' | 'resuming' | 'error' | 'closed';

/** The server acknowledged the subscription. */
export interface AckEvent {
  /** Event tag. */
  readonly type: 'ack';
  /** The projection's columns (with `pk` flags). */
  readonly schema: readonly SchemaField[];
  /** `true`/`false` when the subscribe carried `from`; `undefined` otherwise (or on servers without the extension). */
  readonly resumed: boolean | undefined;
}

/**
 * One snapshot batch. `final` is true on the last one (the subscription is then ready).
 *
 * @typeParam R - the row type (`Row` in kalam-link; the application's row type in the SDKs)
 */
export interface SnapshotEvent<R = Row> {
  /** Event tag. */
  readonly type: 'snapshot';
  /** This batch's rows. */
  readonly rows: readonly R[];
  /** The batch's control block (number, `has_more`, `last_seq_id`). */
  readonly batch: BatchControl;
  /** True on the last batch. */
  readonly final: boolean;
}

/** The server could not resume: drop every row you hold for this subscription; a fresh snapshot follows. */
export interface ResetEvent {
  /** Event tag. */
  readonly type: 'reset';
}

/**
 * A row entered the result set.
 *
 * @typeParam R - the row type
 */
export interface InsertEvent<R = Row> {
  /** Event tag. */
  readonly type: 'insert';
  /** The new row. */
  readonly row: R;
  /** SeqId of the change. */
  readonly seq: SeqId;
}

/**
 * A row of the result set changed. `row` is the complete new row; `oldRow` what the server sent of the old one.
 *
 * @typeParam R - the row type
 */
export interface UpdateEvent<R = Row> {
  /** Event tag. */
  readonly type: 'update';
  /** The complete new row. */
  readonly row: R;
  /** The old row as sent (changed columns + pk + `_seq`), when sent. */
  readonly oldRow: R | undefined;
  /** SeqId of the change. */
  readonly seq: SeqId;
}

/**
 * A row left the result set (deleted, or no longer matches the WHERE).
 *
 * @typeParam R - the row type
 */
export interface DeleteEvent<R = Row> {
  /** Event tag. */
  readonly type: 'delete';
  /** The row that left. */
  readonly oldRow: R;
  /** SeqId of the change. */
  readonly seq: SeqId;
}

/** The subscription's status changed. */
export interface StatusEvent {
  /** Event tag. */
  readonly type: 'status';
  /** The new status. */
  readonly status: SubscriptionStatus;
}

/** An error for this subscription. When `fatal`, the subscription is over (status `error` or `closed`). */
export interface ErrorEvent {
  /** Event tag. */
  readonly type: 'error';
  /** What went wrong (its `subscriptionId` is set). */
  readonly error: KalamError;
  /** The subscription is over. */
  readonly fatal: boolean;
}

/**
 * Every event a subscription emits, in delivery order. Narrow on `type`. Generic over the row
 * type so that the SDKs type rows as the application's (`SubscriptionEvent<Todo>`); kalam-link
 * itself uses the default, `Row`.
 *
 * @typeParam R - the row type
 *
 * @example
 * ```ts
 * handle.onEvent((e) => {
 *   switch (e.type) {
 *     case 'snapshot': rows.push(...e.rows); break;
 *     case 'insert': rows.push(e.row); break;
 *     case 'reset': rows.length = 0; break;
 *     case 'error': if (e.fatal) console.error(e.error); break;
 *   }
 * });
 * ```
 */
export type SubscriptionEvent<R = Row> =
  | AckEvent
  | SnapshotEvent<R>
  | ResetEvent
  | InsertEvent<R>
  | UpdateEvent<R>
  | DeleteEvent<R>
  | StatusEvent
  | ErrorEvent;

/**
 * Row-change events only.
 *
 * @typeParam R - the row type
 */
export type ChangeEvent<R = Row> = InsertEvent<R> | UpdateEvent<R> | DeleteEvent<R>;

/**
 * Options of one live query subscription.
 *
 * @example
 * ```ts
 * link.subscribe('SELECT * FROM app.messages WHERE room = $1', { params: ['general'], lastRows: 50 });
 * ```
 */
export interface SubscribeOptions {
  /** Values for `$1..$n` in the SQL. */
  readonly params?: readonly ParamValue[];
  /** Rows per snapshot batch. @default 1000 (server default) */
  readonly batchSize?: number;
  /** Snapshot only the newest N rows. @default all rows */
  readonly lastRows?: number;
  /** Start after this SeqId instead of taking a snapshot. @default absent: snapshot, then changes */
  readonly from?: SeqId;
  /** Subscription id; must be unique per client. @default generated (`sub-1`, `sub-2`, …) */
  readonly id?: string;
}

/** Public view of one subscription (see `listSubscriptions()`). */
export interface SubscriptionInfo {
  /** Subscription id. */
  readonly id: string;
  /** The SQL text. */
  readonly sql: string;
  /** The statement parameters. */
  readonly params: readonly ParamValue[];
  /** Current status. */
  readonly status: SubscriptionStatus;
  /** Highest SeqId the application has received (the resume point), if any. */
  readonly lastSeqId: SeqId | undefined;
  /** Events delivered to the application so far. */
  readonly eventsDelivered: number;
}

/**
 * A live subscription handle, returned by {@link KalamLink.subscribe}. Wrap it in a
 * {@link LiveQuery} for a materialised result set.
 */
export interface SubscriptionHandle {
  /** Subscription id. */
  readonly id: string;
  /** The SQL text. */
  readonly sql: string;
  /** The statement parameters. */
  readonly params: readonly ParamValue[];
  /** Current status. */
  readonly status: SubscriptionStatus;
  /** Highest SeqId delivered to the application (the resume point). */
  readonly lastSeqId: SeqId | undefined;
  /** Schema from the last acknowledgement, once known. */
  readonly schema: readonly SchemaField[] | undefined;
  /** Listen to this subscription's events. Returns a function that removes the listener. */
  onEvent(listener: (event: SubscriptionEvent) => void): () => void;
  /** End the subscription. Idempotent; safe during an outage. */
  unsubscribe(): void;
}
