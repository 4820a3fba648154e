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
  readonly type: 'ack';
  readonly schema: readonly SchemaField[];
  /** `true`/`false` when the subscribe carried `from`; `undefined` otherwise (or on servers without the extension). */
  readonly resumed: boolean | undefined;
}

/** One snapshot batch. `final` is true on the last one (the subscription is then ready). */
export interface SnapshotEvent {
  readonly type: 'snapshot';
  readonly rows: readonly Row[];
  readonly batch: BatchControl;
  readonly final: boolean;
}

/** The server could not resume: drop every row you hold for this subscription; a fresh snapshot follows. */
export interface ResetEvent {
  readonly type: 'reset';
}

/** A row entered the result set. */
export interface InsertEvent {
  readonly type: 'insert';
  readonly row: Row;
  readonly seq: SeqId;
}

/** A row of the result set changed. `row` is the complete new row; `oldRow` what the server sent of the old one. */
export interface UpdateEvent {
  readonly type: 'update';
  readonly row: Row;
  readonly oldRow: Row | undefined;
  readonly seq: SeqId;
}

/** A row left the result set (deleted, or no longer matches the WHERE). */
export interface DeleteEvent {
  readonly type: 'delete';
  readonly oldRow: Row;
  readonly seq: SeqId;
}

/** The subscription's status changed. */
export interface StatusEvent {
  readonly type: 'status';
  readonly status: SubscriptionStatus;
}

/** An error for this subscription. When `fatal`, the subscription is over (status `error` or `closed`). */
export interface ErrorEvent {
  readonly type: 'error';
  readonly error: KalamError;
  readonly fatal: boolean;
}

/** Every event a subscription emits, in delivery order. */
export type SubscriptionEvent =
  | AckEvent
  | SnapshotEvent
  | ResetEvent
  | InsertEvent
  | UpdateEvent
  | DeleteEvent
  | StatusEvent
  | ErrorEvent;

/** Row-change events only. */
export type ChangeEvent = InsertEvent | UpdateEvent | DeleteEvent;

/** Options of one live query subscription. */
export interface SubscribeOptions {
  /** Values for `$1..$n` in the SQL. */
  readonly params?: readonly ParamValue[];
  /** Rows per snapshot batch. @default 1000 (server default) */
  readonly batchSize?: number;
  /** Snapshot only the newest N rows. */
  readonly lastRows?: number;
  /** Start after this SeqId instead of taking a snapshot. */
  readonly from?: SeqId;
  /** Subscription id; generated when absent. Must be unique per client. */
  readonly id?: string;
}

/** Public view of one subscription (see `listSubscriptions()`). */
export interface SubscriptionInfo {
  readonly id: string;
  readonly sql: string;
  readonly params: readonly ParamValue[];
  readonly status: SubscriptionStatus;
  /** Highest SeqId the application has received (the resume point), if any. */
  readonly lastSeqId: SeqId | undefined;
  /** Events delivered to the application so far. */
  readonly eventsDelivered: number;
}

/** A live subscription handle. */
export interface SubscriptionHandle {
  readonly id: string;
  readonly sql: string;
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
