/**
 * A materialised result set driven by snapshot batches and change events, applying the client
 * rules of PROTOCOL.md §7 and §15 strictly: every deviation (order, seq chain, an insert of a
 * present key, an update or delete whose `old_values` differ from the held row, …) is recorded in
 * `problems` rather than repaired.
 */
import type { Msg, SpecSocket } from './specClient.js';

export type Row = Record<string, unknown>;

/** A row with bigints as decimal strings and keys sorted: comparable with HTTP SELECT rows. */
export function normalizeRow(row: Row): Row {
  return Object.fromEntries(Object.keys(row).sort().map((k) => [k, typeof row[k] === 'bigint' ? String(row[k]) : row[k]]));
}

const seqOf = (row: Row): bigint => row['_seq'] as bigint;

/** One subscription's view. */
export class LiveView {
  readonly rows = new Map<string, Row>();
  /** lastSeqId of §15: advanced by the final batch and by each change. */
  lastSeq: bigint | null = null;
  readonly problems: string[] = [];
  /** `seq` of every change applied, in order. */
  readonly changeSeqs: bigint[] = [];
  readonly changes: Msg[] = [];
  private batchMaxSeq = -1n;

  constructor(readonly pk = 'id') {}

  private key(row: Row): string {
    return String(row[this.pk]);
  }

  /** Apply one `initial_data_batch`. */
  batch(msg: Msg): void {
    const bc = msg['batch_control'] as { has_more: boolean; last_seq_id: bigint | null };
    for (const row of msg['rows'] as Row[]) {
      if (seqOf(row) <= this.batchMaxSeq) this.problems.push(`snapshot row _seq ${seqOf(row)} not ascending`);
      this.batchMaxSeq = seqOf(row);
      if (this.rows.has(this.key(row))) this.problems.push(`snapshot repeats key ${this.key(row)}`);
      this.rows.set(this.key(row), row);
    }
    if (!bc.has_more) {
      if (bc.last_seq_id === null ? this.rows.size > 0 : bc.last_seq_id < this.batchMaxSeq) this.problems.push(`final last_seq_id ${bc.last_seq_id} below a row _seq ${this.batchMaxSeq}`);
      this.lastSeq = bc.last_seq_id;
    }
  }

  /** Apply one `change`. */
  change(msg: Msg): void {
    const seq = msg['seq'] as bigint | undefined;
    const prev = msg['prev_seq'] as bigint | undefined;
    if (seq === undefined || prev === undefined) this.problems.push(`change without seq/prev_seq`);
    else {
      if (this.lastSeq !== null && seq <= this.lastSeq) this.problems.push(`seq ${seq} ≤ lastSeq ${this.lastSeq} (duplicate or out of order)`);
      if (prev !== this.lastSeq) this.problems.push(`prev_seq ${prev} ≠ lastSeq ${this.lastSeq} (gap)`);
    }
    const type = msg['change_type'];
    const news = (msg['rows'] as Row[] | undefined) ?? [];
    const olds = (msg['old_values'] as Row[] | undefined) ?? [];
    if (type === 'insert') {
      for (const r of news) {
        if (this.rows.has(this.key(r))) this.problems.push(`insert of present key ${this.key(r)}`);
        if (seq !== undefined && seqOf(r) !== seq) this.problems.push(`insert row _seq ${seqOf(r)} ≠ seq ${seq}`);
        this.rows.set(this.key(r), r);
      }
    } else {
      for (const [i, old] of olds.entries()) {
        const held = this.rows.get(this.key(old));
        if (!held) this.problems.push(`${String(type)} of absent key ${this.key(old)}`);
        else if (JSON.stringify(normalizeRow(held)) !== JSON.stringify(normalizeRow(old))) this.problems.push(`old_values ${JSON.stringify(normalizeRow(old))} ≠ held ${JSON.stringify(normalizeRow(held))}`);
        if (type === 'delete') this.rows.delete(this.key(old));
        else {
          const r = news[i];
          if (!r) this.problems.push('update without a new row');
          else {
            if (seq !== undefined && seqOf(r) !== seq) this.problems.push(`update row _seq ${seqOf(r)} ≠ seq ${seq}`);
            this.rows.delete(this.key(old));
            this.rows.set(this.key(r), r);
          }
        }
      }
    }
    if (seq !== undefined) {
      this.lastSeq = seq;
      this.changeSeqs.push(seq);
    }
    this.changes.push(msg);
  }

  /** Drop everything (a `resumed: false` reset). */
  reset(): void {
    this.rows.clear();
    this.lastSeq = null;
    this.batchMaxSeq = -1n;
  }

  /** Rows normalised and sorted by key. */
  sorted(): Row[] {
    return [...this.rows.values()].map(normalizeRow).sort((a, b) => String(a[this.pk]).localeCompare(String(b[this.pk]), 'en', { numeric: true }));
  }
}

/** Normalise and sort HTTP rows like {@link LiveView.sorted}. */
export function sortedHttpRows(rows: Row[], pk = 'id'): Row[] {
  return rows.map(normalizeRow).sort((a, b) => String(a[pk]).localeCompare(String(b[pk]), 'en', { numeric: true }));
}

/** Read the ack and every snapshot batch (asking with `next_batch`); returns the ack and the batches. */
export async function loadSnapshot(sock: SpecSocket, id: string, view: LiveView): Promise<{ ack: Msg; batches: Msg[] }> {
  const ack = await sock.nextOf(id);
  if (ack.type !== 'subscription_ack') throw new Error(`expected subscription_ack, got ${JSON.stringify(ack, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  const batches: Msg[] = [];
  for (;;) {
    const b = await sock.nextOf(id);
    if (b.type !== 'initial_data_batch') throw new Error(`expected initial_data_batch, got ${b.type}`);
    batches.push(b);
    view.batch(b);
    const bc = b['batch_control'] as { has_more: boolean; last_seq_id: bigint | null };
    if (!bc.has_more) return { ack, batches };
    sock.send({ type: 'next_batch', subscription_id: id, last_seq_id: bc.last_seq_id });
  }
}

/** Apply this subscription's changes until `lastSeq ≥ until`. */
export async function drainUntil(sock: SpecSocket, id: string, view: LiveView, until: bigint): Promise<void> {
  while (view.lastSeq === null || view.lastSeq < until) {
    const m = await sock.nextOf(id);
    if (m.type !== 'change') throw new Error(`expected change for ${id}, got ${m.type}: ${JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    view.change(m);
  }
}

/** Everything the server sent before the answer to a `ping` (§9 G7: send order). */
export async function barrier(sock: SpecSocket): Promise<void> {
  sock.send({ type: 'ping' });
  await sock.nextType('pong');
}
