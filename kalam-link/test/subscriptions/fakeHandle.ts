/** A scripted SubscriptionHandle: the input contract of LiveRows/LiveQuery, driven by the test. */
import { KalamError } from '../../src/errors.js';
import type { ParamValue, Row, SchemaField } from '../../src/protocol/messages.js';
import type { SeqId } from '../../src/protocol/seqId.js';
import type { SubscriptionEvent, SubscriptionHandle, SubscriptionStatus } from '../../src/subscriptions/types.js';

export const todoSchema: readonly SchemaField[] = [
  { name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] },
  { name: 'title', data_type: 'Text', index: 1 },
  { name: 'done', data_type: 'Boolean', index: 2 },
];

export class FakeHandle implements SubscriptionHandle {
  status: SubscriptionStatus = 'pending';
  lastSeqId: SeqId | undefined = undefined;
  schema: readonly SchemaField[] | undefined = undefined;
  unsubscribed = 0;
  readonly listeners = new Set<(event: SubscriptionEvent) => void>();

  constructor(
    readonly id: string,
    readonly sql: string,
    readonly params: readonly ParamValue[] = [],
  ) {}

  onEvent(listener: (event: SubscriptionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  unsubscribe(): void {
    this.unsubscribed++;
  }

  emit(event: SubscriptionEvent): void {
    if (event.type === 'status') this.status = event.status;
    if (event.type === 'ack') this.schema = event.schema;
    for (const listener of [...this.listeners]) listener(event);
  }

  /** ack + one final snapshot batch + status ready. */
  load(rows: readonly Row[], lastSeq: SeqId, schema: readonly SchemaField[] = todoSchema): void {
    this.emit({ type: 'ack', schema, resumed: undefined });
    this.emit({ type: 'status', status: 'loading' });
    this.emit({ type: 'snapshot', rows, final: true, batch: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: lastSeq } });
    this.emit({ type: 'status', status: 'ready' });
  }

  fail(code: string, message = code): void {
    this.emit({ type: 'error', error: new KalamError(code, message, { subscriptionId: this.id }), fatal: true });
    this.emit({ type: 'status', status: 'error' });
  }
}
