/**
 * An in-memory scripted server for registry unit and model tests: one table, a change log,
 * snapshot paging, resume with `from`, prev_seq chains, and an outbound queue the test delivers
 * (or loses) frame by frame.
 */
import type { Transport } from '../../src/connection/deps.js';
import type { ClientMessage, Row, SchemaField, ServerMessage } from '../../src/protocol/messages.js';

interface LogEntry {
  readonly seq: bigint;
  readonly kind: 'insert' | 'update' | 'delete';
  readonly row: Row | undefined;
  readonly old: Row | undefined;
}

interface Registration {
  /** Snapshot rows still to page out (undefined once live). */
  pending: Row[] | undefined;
  snapshotPoint: bigint;
  batchNum: number;
  last: bigint;
}

export const SCHEMA: readonly SchemaField[] = [
  { name: 'id', data_type: 'Int', index: 0, flags: ['pk', 'nn'] },
  { name: 'v', data_type: 'Text', index: 1 },
  { name: 'big', data_type: 'BigInt', index: 2 },
];

export class FakeServer {
  readonly rows = new Map<number, Row>();
  readonly log: LogEntry[] = [];
  seq = 1000n;
  queue: ServerMessage[] = [];
  registrations = new Map<string, Registration>();
  connected = false;
  readonly received: ClientMessage[] = [];

  constructor(private readonly batchSize = 2) {}

  readonly transport: Transport = {
    serialization: 'msgpack',
    send: (message) => {
      if (!this.connected) return false;
      this.received.push(message);
      this.receive(message);
      return true;
    },
  };

  connect(): void {
    this.connected = true;
    this.queue = [];
    this.registrations.clear();
  }

  drop(): void {
    this.connected = false;
    this.queue = [];
    this.registrations.clear();
  }

  write(kind: 'insert' | 'update' | 'delete', id: number): void {
    const existing = this.rows.get(id);
    if (kind === 'insert' && existing !== undefined) kind = 'update';
    if (kind !== 'insert' && existing === undefined) kind = 'insert';
    const seq = ++this.seq;
    let entry: LogEntry;
    if (kind === 'delete') {
      this.rows.delete(id);
      entry = { seq, kind, row: undefined, old: existing };
    } else {
      const row: Row = { id, v: `v${seq}`, big: seq * 1000n, _seq: seq };
      this.rows.set(id, row);
      entry = { seq, kind, row, old: existing };
    }
    this.log.push(entry);
    for (const [id2, reg] of this.registrations) if (reg.pending === undefined) this.sendChange(id2, reg, entry);
  }

  private sendChange(subscriptionId: string, reg: Registration, entry: LogEntry): void {
    const message: ServerMessage = {
      type: 'change',
      subscription_id: subscriptionId,
      change_type: entry.kind,
      ...(entry.row === undefined ? {} : { rows: [{ ...entry.row }] }),
      ...(entry.old === undefined ? {} : { old_values: [{ ...entry.old }] }),
      seq: entry.seq,
      prev_seq: reg.last,
    };
    reg.last = entry.seq;
    this.queue.push(message);
  }

  private receive(message: ClientMessage): void {
    if (message.type === 'subscribe') {
      const { id, options } = message.subscription;
      const from = options?.from;
      if (from !== undefined) {
        const reg: Registration = { pending: undefined, snapshotPoint: from, batchNum: 0, last: from };
        this.registrations.set(id, reg);
        this.queue.push({ type: 'subscription_ack', subscription_id: id, total_rows: 0, schema: SCHEMA, resumed: true, batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: from } });
        for (const entry of this.log) if (entry.seq > from) this.sendChange(id, reg, entry);
        return;
      }
      const rows = [...this.rows.values()].sort((a, b) => (a._seq as bigint) < (b._seq as bigint) ? -1 : 1).map((r) => ({ ...r }));
      const reg: Registration = { pending: rows, snapshotPoint: this.seq, batchNum: 0, last: this.seq };
      this.registrations.set(id, reg);
      const first = this.batchControl(reg, 0);
      this.queue.push({ type: 'subscription_ack', subscription_id: id, total_rows: rows.length, schema: SCHEMA, batch_control: first });
      this.sendBatch(id, reg);
    } else if (message.type === 'next_batch') {
      const reg = this.registrations.get(message.subscription_id);
      if (reg?.pending !== undefined) this.sendBatch(message.subscription_id, reg);
    } else if (message.type === 'unsubscribe') {
      this.registrations.delete(message.subscription_id);
    }
  }

  private batchControl(reg: Registration, batchNum: number) {
    const rows = reg.pending ?? [];
    const hasMore = rows.length > this.batchSize;
    const slice = rows.slice(0, this.batchSize);
    const lastRow = slice[slice.length - 1];
    return {
      batch_num: batchNum,
      has_more: hasMore,
      status: hasMore ? (batchNum === 0 ? ('loading' as const) : ('loading_batch' as const)) : ('ready' as const),
      last_seq_id: hasMore ? ((lastRow?._seq as bigint | undefined) ?? null) : reg.snapshotPoint,
    };
  }

  private sendBatch(id: string, reg: Registration): void {
    const control = this.batchControl(reg, reg.batchNum);
    const rows = (reg.pending ?? []).slice(0, this.batchSize);
    reg.pending = (reg.pending ?? []).slice(this.batchSize);
    reg.batchNum++;
    this.queue.push({ type: 'initial_data_batch', subscription_id: id, rows, batch_control: control });
    if (!control.has_more) {
      reg.pending = undefined;
      reg.last = reg.snapshotPoint;
      for (const entry of this.log) if (entry.seq > reg.snapshotPoint) this.sendChange(id, reg, entry);
    }
  }
}
