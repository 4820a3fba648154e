/**
 * One subscription's state and its per-event hot path (plain code, no xstate): SeqId filtering,
 * gap detection, snapshot paging and typed events. Owned by the {@link SubscriptionRegistry}.
 */
import { KalamError } from '../errors.js';
import { bigintColumns, convertBigintCells } from '../internal/bigintCells.js';
import type {
  CellValue,
  ChangeMessage,
  ErrorMessage,
  InitialDataBatchMessage,
  ParamValue,
  Row,
  SchemaField,
  SubscriptionAckMessage,
  SubscriptionOptions,
  UnsubscribedMessage,
} from '../protocol/messages.js';
import type { SeqId } from '../protocol/seqId.js';
import type { Transport } from '../connection/deps.js';
import type { SubscribeOptions, SubscriptionEvent, SubscriptionHandle, SubscriptionInfo, SubscriptionStatus } from './types.js';

/** What a subscription needs from its registry ({@link SubscriptionRegistry} implements it). */
export interface SubscriptionOwner {
  /** The authenticated transport when the connection is ready. */
  readonly transport: Transport | undefined;
  /** @internal Forget this subscription (it ended). */
  remove(subscription: Subscription): void;
  /** @internal A listener threw. */
  reportListenerError(error: unknown, subscription: Subscription): void;
}

const UNSUBSCRIBED_CODES: Record<UnsubscribedMessage['reason'], string> = {
  killed: 'KILLED',
  unauthorized: 'UNAUTHORIZED',
  table_dropped: 'NOT_FOUND',
  auth_expired: 'AUTH_EXPIRED',
  server_error: 'INTERNAL',
};

function isEnded(status: SubscriptionStatus): boolean {
  return status === 'closed' || status === 'error';
}

function rowSeq(row: Row | undefined): SeqId | undefined {
  const seq = row?._seq;
  return typeof seq === 'bigint' ? seq : undefined;
}

/** A subscription registered with the link. Implements the public {@link SubscriptionHandle}. */
export class Subscription implements SubscriptionHandle {
  readonly id: string;
  readonly sql: string;
  readonly params: readonly ParamValue[];
  status: SubscriptionStatus = 'pending';
  lastSeqId: SeqId | undefined;
  schema: readonly SchemaField[] | undefined;
  eventsDelivered = 0;

  readonly #listeners = new Set<(event: SubscriptionEvent) => void>();
  readonly #batchSize: number | undefined;
  readonly #lastRows: number | undefined;
  #bigintCols: readonly string[] = ['_seq'];
  /** A subscribe was sent and its ack has not arrived: every other frame for this id is stale. */
  #awaitingAck = false;
  /** The current snapshot is a fresh one (rows are not filtered by lastSeqId). */
  #freshSnapshot = true;
  /** Rows were handed out since the last reset (a fresh snapshot must then start with a reset). */
  #hasRows = false;
  #everReady = false;

  readonly #owner: SubscriptionOwner;

  constructor(
    owner: SubscriptionOwner,
    id: string,
    sql: string,
    options: SubscribeOptions,
  ) {
    this.#owner = owner;
    this.id = id;
    this.sql = sql;
    this.params = options.params ?? [];
    this.#batchSize = options.batchSize;
    this.#lastRows = options.lastRows;
    this.lastSeqId = options.from;
  }

  onEvent(listener: (event: SubscriptionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  unsubscribe(): void {
    if (isEnded(this.status)) return;
    this.#owner.remove(this);
    // During an outage there is nothing to tell the server; it forgot the subscription with the socket.
    this.#owner.transport?.send({ type: 'unsubscribe', subscription_id: this.id });
    this.#awaitingAck = false;
    this.#setStatus('closed');
  }

  info(): SubscriptionInfo {
    return { id: this.id, sql: this.sql, params: this.params, status: this.status, lastSeqId: this.lastSeqId, eventsDelivered: this.eventsDelivered };
  }

  /** Send `subscribe` (resume from `lastSeqId` when there is one). Frames for this id are ignored until the ack. */
  sendSubscribe(transport: Transport): void {
    const options: { batch_size?: number; last_rows?: number; from?: SeqId } = {};
    if (this.#batchSize !== undefined) options.batch_size = this.#batchSize;
    if (this.#lastRows !== undefined) options.last_rows = this.#lastRows;
    if (this.lastSeqId !== undefined) options.from = this.lastSeqId;
    this.#freshSnapshot = this.lastSeqId === undefined;
    this.#awaitingAck = true;
    const subscription: { id: string; sql: string; params?: readonly ParamValue[]; options: SubscriptionOptions } = { id: this.id, sql: this.sql, options };
    if (this.params.length > 0) subscription.params = this.params;
    if (!transport.send({ type: 'subscribe', subscription })) this.#awaitingAck = false;
  }

  /** The socket went away. The subscription stays registered and is re-sent on the next ready. */
  connectionLost(): void {
    this.#awaitingAck = false;
    if (!isEnded(this.status)) this.#setStatus(this.#everReady ? 'resuming' : 'pending');
  }

  /** The subscription ends with a fatal error (killed connection, revoked user, subscribe refused). */
  fail(error: KalamError, status: 'error' | 'closed' = 'error'): void {
    if (isEnded(this.status)) return;
    this.#awaitingAck = false;
    this.status = status;
    this.#emit({ type: 'error', error, fatal: true });
    this.#emit({ type: 'status', status });
  }

  /** The link is closing for good. */
  close(): void {
    if (isEnded(this.status)) return;
    this.#awaitingAck = false;
    this.#setStatus('closed');
  }

  handleAck(message: SubscriptionAckMessage): void {
    this.#awaitingAck = false;
    this.schema = message.schema;
    this.#bigintCols = bigintColumns(message.schema);
    if (message.resumed === false || (this.#freshSnapshot && this.#hasRows)) {
      // The rows the application holds are no longer a valid base: start over from the snapshot.
      this.lastSeqId = undefined;
      this.#hasRows = false;
      this.#freshSnapshot = true;
      this.#emit({ type: 'reset' });
    }
    this.#emit({ type: 'ack', schema: message.schema, resumed: message.resumed });
    if (message.resumed === true) {
      this.#everReady = true;
      this.#setStatus('ready');
    } else {
      this.#setStatus(this.#everReady && !this.#freshSnapshot ? 'resuming' : 'loading');
    }
  }

  handleBatch(message: InitialDataBatchMessage): void {
    if (this.#awaitingAck || isEnded(this.status)) return;
    const batch = message.batch_control;
    let rows = message.rows;
    for (let i = 0; i < rows.length; i++) convertBigintCells(rows[i] as Row, this.#bigintCols);
    const floor = this.lastSeqId;
    if (!this.#freshSnapshot && floor !== undefined) {
      // Servers without the `resumed` extension (KalamDB) resume with snapshot rows; drop what we already have.
      rows = rows.filter((row) => {
        const seq = rowSeq(row);
        return seq === undefined || seq > floor;
      });
    }
    const final = !batch.has_more;
    if (rows.length > 0) this.#hasRows = true;
    this.#emit({ type: 'snapshot', rows, batch, final });
    this.eventsDelivered++;
    if (final) {
      let last = batch.last_seq_id ?? undefined;
      if (last === undefined) for (const row of rows) last = maxSeq(last, rowSeq(row));
      this.lastSeqId = maxSeq(this.lastSeqId, last);
      this.#everReady = true;
      this.#setStatus('ready');
    } else {
      this.#setStatus(this.#everReady && !this.#freshSnapshot ? 'resuming' : 'loading');
      this.#owner.transport?.send({ type: 'next_batch', subscription_id: this.id, last_seq_id: batch.last_seq_id });
    }
  }

  handleChange(message: ChangeMessage): void {
    if (this.#awaitingAck || isEnded(this.status)) return;
    const rows = message.rows;
    const olds = message.old_values;
    const seq = message.seq ?? (message.change_type === 'delete' ? undefined : rowSeq(rows?.[rows.length - 1]));
    const last = this.lastSeqId;
    if (seq !== undefined && last !== undefined && seq <= last) return;
    if (message.prev_seq !== undefined && last !== undefined && message.prev_seq !== last) {
      this.#resubscribeAfterGap();
      return;
    }
    this.#hasRows = true;
    const count = Math.max(rows?.length ?? 0, olds?.length ?? 0);
    for (let i = 0; i < count; i++) {
      const row = rows?.[i];
      const old = olds?.[i];
      if (old !== undefined) convertBigintCells(old, this.#bigintCols);
      if (message.change_type === 'delete') {
        if (old !== undefined) this.#emit({ type: 'delete', oldRow: old, seq: seq ?? last ?? rowSeq(old) ?? 0n });
        continue;
      }
      if (row === undefined) continue;
      const full = this.#completeRow(row, old);
      const rowSeqId = seq ?? rowSeq(full) ?? 0n;
      if (message.change_type === 'insert') this.#emit({ type: 'insert', row: full, seq: rowSeqId });
      else this.#emit({ type: 'update', row: full, oldRow: old, seq: rowSeqId });
    }
    this.eventsDelivered++;
    if (seq !== undefined) this.lastSeqId = maxSeq(last, seq);
  }

  handleError(message: ErrorMessage): void {
    const error = new KalamError(message.code, message.message, { subscriptionId: this.id });
    if (this.#awaitingAck) {
      // A refused subscribe: the server did not register it, so it is over.
      this.#owner.remove(this);
      this.fail(error, 'error');
    } else {
      this.#emit({ type: 'error', error, fatal: false });
    }
  }

  handleUnsubscribed(message: UnsubscribedMessage): void {
    if (this.#awaitingAck) return;
    this.#owner.remove(this);
    const code = UNSUBSCRIBED_CODES[message.reason] ?? 'CLOSED';
    this.fail(new KalamError(code, `the server ended subscription ${this.id}: ${message.reason}`, { subscriptionId: this.id }), 'closed');
  }

  #resubscribeAfterGap(): void {
    this.#setStatus('resuming');
    const transport = this.#owner.transport;
    // Same id: the server replaces the registration; everything until its ack is stale.
    if (transport !== undefined) this.sendSubscribe(transport);
  }

  /** 64-bit cells to bigint, and (KalamDB) NULL columns the server left out set to null explicitly. */
  #completeRow(row: Row, old: Row | undefined): Row {
    convertBigintCells(row, this.#bigintCols);
    const schema = this.schema;
    let missing = false;
    if (schema !== undefined) for (let i = 0; i < schema.length && !missing; i++) missing = !((schema[i] as SchemaField).name in row);
    if (old !== undefined && !missing) for (const key in old) if (!(key in row)) missing = true;
    if (!missing) return row;
    const full: Record<string, CellValue> = { ...row };
    if (schema !== undefined) for (const field of schema) if (!(field.name in full)) full[field.name] = null;
    if (old !== undefined) for (const key in old) if (!(key in full)) full[key] = null;
    return full;
  }

  #setStatus(status: SubscriptionStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.#emit({ type: 'status', status });
  }

  #emit(event: SubscriptionEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#owner.reportListenerError(error, this);
      }
    }
  }
}

function maxSeq(a: SeqId | undefined, b: SeqId | undefined): SeqId | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}
