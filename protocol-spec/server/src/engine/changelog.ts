/**
 * The change log: one `c` entry per committed row change (written in the row's batch), a global
 * `g` order index for retention, and per-partition trim marks (`h`) for {@link ChangeLog.isTrimmedAfter}.
 */
import { makeSeqId, SEQ_EPOCH_MS, type CellValue, type ChangeType, type Row, type SeqId } from '@kalam/link/protocol';
import type { KvStore, KvWrite } from '../store/kv.js';
import { nameKey, P, parsePartitionRef, partitionPrefix, partitionRef, prefixRange, readU64, seqKey, seqOfKey, u64 } from '../store/keys.js';
import { encodeRow, reviveRow, type TableMeta } from './catalog.js';
import type { CommittedChange } from './types.js';

/** A change about to be written (rows are full stored rows). */
export interface PendingChange {
  readonly seq: SeqId;
  readonly changeType: ChangeType;
  readonly oldRow: Row | null;
  readonly newRow: Row | null;
}

const COUNT_KEY = nameKey(P.meta, 'logcount');
const TRIM_CHUNK = 5000;

function refKey(tid: number, partition: string): string {
  return `${tid}\u0000${partition}`;
}

/** Change-log state and operations. Mutating operations must run under the engine's writer lock. */
export class ChangeLog {
  private count = 0;
  private oldest: SeqId | undefined;
  private readonly trimmed = new Map<string, SeqId>();

  private constructor(private readonly kv: KvStore) {}

  static async load(kv: KvStore): Promise<ChangeLog> {
    const log = new ChangeLog(kv);
    const c = await kv.get(COUNT_KEY);
    if (c) log.count = Number(readU64(c, 0));
    for await (const { key } of kv.range({ ...prefixRange(Buffer.of(P.logOrder)), limit: 1 })) log.oldest = readU64(key, 1);
    for await (const { key, value } of kv.range(prefixRange(Buffer.of(P.trimmed)))) {
      const ref = parsePartitionRef(key.subarray(1));
      log.trimmed.set(refKey(ref.tid, ref.partition), readU64(value, 0));
    }
    return log;
  }

  /** Retained entries (all tables). */
  get size(): number {
    return this.count;
  }

  /** Writes appending `changes` of one table partition (plus the new count). */
  appendWrites(table: TableMeta, partition: string, changes: readonly PendingChange[], out: KvWrite[]): void {
    const ref = partitionRef(table.tid, partition);
    for (const ch of changes) {
      const value = encodeRow({ k: ch.changeType, o: ch.oldRow, n: ch.newRow } as unknown as Row);
      out.push({ type: 'put', key: seqKey(P.change, table.tid, partition, ch.seq), value });
      out.push({ type: 'put', key: Buffer.concat([Buffer.of(P.logOrder), u64(ch.seq)]), value: ref });
    }
    out.push({ type: 'put', key: COUNT_KEY, value: u64(BigInt(this.count + changes.length)) });
  }

  /** Record a committed append. */
  applyAppend(changes: readonly PendingChange[]): void {
    if (changes.length === 0) return;
    this.count += changes.length;
    if (this.oldest === undefined) this.oldest = changes[0]!.seq;
  }

  /** True when some change of this partition with seq > fromSeq was trimmed. */
  isTrimmedAfter(tid: number, partition: string, fromSeq: SeqId): boolean {
    const t = this.trimmed.get(refKey(tid, partition));
    return t !== undefined && t > fromSeq;
  }

  /** Whether {@link trim} has work to do now. */
  needsTrim(maxEntries: number, maxAgeMs: number, nowMs: number): boolean {
    if (this.count > maxEntries) return true;
    return this.oldest !== undefined && this.oldest < ageCutoff(maxAgeMs, nowMs);
  }

  /** Drop the oldest entries beyond the bounds. Run under the writer lock. */
  async trim(maxEntries: number, maxAgeMs: number, nowMs: number): Promise<number> {
    const cutoff = ageCutoff(maxAgeMs, nowMs);
    let removed = 0;
    for (;;) {
      const writes: KvWrite[] = [];
      const marks = new Map<string, { tid: number; partition: string; seq: SeqId }>();
      let over = this.count - maxEntries;
      let next: SeqId | undefined;
      let n = 0;
      for await (const { key, value } of this.kv.range({ ...prefixRange(Buffer.of(P.logOrder)), limit: TRIM_CHUNK + 1 })) {
        const seq = readU64(key, 1);
        if (n === TRIM_CHUNK || (over <= 0 && seq >= cutoff)) {
          next = seq;
          break;
        }
        const ref = parsePartitionRef(value);
        writes.push({ type: 'del', key }, { type: 'del', key: seqKey(P.change, ref.tid, ref.partition, seq) });
        marks.set(refKey(ref.tid, ref.partition), { ...ref, seq });
        over--;
        n++;
      }
      if (n === 0) {
        this.oldest = next;
        return removed;
      }
      for (const [k, m] of marks) {
        const prev = this.trimmed.get(k);
        writes.push({ type: 'put', key: trimmedKey(m.tid, m.partition), value: u64(prev !== undefined && prev > m.seq ? prev : m.seq) });
      }
      writes.push({ type: 'put', key: COUNT_KEY, value: u64(BigInt(this.count - n)) });
      await this.kv.batch(writes);
      for (const m of marks.values()) this.markTrimmed(m.tid, m.partition, m.seq);
      this.count -= n;
      removed += n;
      this.oldest = next;
      if (next === undefined || n < TRIM_CHUNK) {
        if (next === undefined) this.oldest = undefined;
        return removed;
      }
    }
  }

  /** Changes of one partition with afterSeq < seq ≤ uptoSeq, ascending, at most `limit`. */
  async read(table: TableMeta, partition: string, afterSeq: SeqId, uptoSeq: SeqId, limit: number): Promise<CommittedChange[]> {
    const out: CommittedChange[] = [];
    if (uptoSeq <= afterSeq || limit <= 0) return out;
    const range = { gt: seqKey(P.change, table.tid, partition, afterSeq), lte: seqKey(P.change, table.tid, partition, uptoSeq), limit };
    for await (const { key, value } of this.kv.range(range)) {
      const raw = JSON.parse(value.toString('utf8')) as { k: ChangeType; o: Record<string, CellValue> | null; n: Record<string, CellValue> | null };
      out.push({
        seq: seqOfKey(key),
        tableId: table.tableId,
        kind: table.kind,
        partition,
        changeType: raw.k,
        oldRow: raw.o ? reviveRow(table, raw.o) : null,
        newRow: raw.n ? reviveRow(table, raw.n) : null,
      });
    }
    return out;
  }

  /**
   * Delete every change-log entry of one partition in bounded batches. Each batch also advances the
   * partition's trim mark, so a purge interrupted by a crash reads as an ordinary trim (resume
   * points before it are refused, never silently skipped). Run under the writer lock.
   */
  async purgePartition(tid: number, partition: string): Promise<number> {
    let removed = 0;
    for (;;) {
      const writes: KvWrite[] = [];
      let last: SeqId | undefined;
      let n = 0;
      for await (const { key } of this.kv.range({ ...ChangeLog.partitionRange(tid, partition), limit: TRIM_CHUNK })) {
        last = seqOfKey(key);
        writes.push({ type: 'del', key }, { type: 'del', key: Buffer.concat([Buffer.of(P.logOrder), u64(last)]) });
        n++;
      }
      if (last === undefined) return removed;
      writes.push({ type: 'put', key: trimmedKey(tid, partition), value: u64(last) });
      writes.push({ type: 'put', key: COUNT_KEY, value: u64(BigInt(this.count - n)) });
      await this.kv.batch(writes);
      this.markTrimmed(tid, partition, last);
      this.count -= n;
      removed += n;
      if (n < TRIM_CHUNK) return removed;
    }
  }

  /**
   * Writes resetting a partition at `seq`: every position before `seq` counts as trimmed from now
   * on (a dropped user's partition, so a re-created user never resumes into the old one's changes).
   */
  resetWrites(tid: number, partition: string, seq: SeqId, out: KvWrite[]): void {
    out.push({ type: 'put', key: trimmedKey(tid, partition), value: u64(seq) });
  }

  /** Record a committed {@link resetWrites}. */
  applyReset(tid: number, partition: string, seq: SeqId): void {
    this.markTrimmed(tid, partition, seq);
  }

  private markTrimmed(tid: number, partition: string, seq: SeqId): void {
    const k = refKey(tid, partition);
    const prev = this.trimmed.get(k);
    if (prev === undefined || seq > prev) this.trimmed.set(k, seq);
  }

  /** Forget trim marks of a dropped table (its keys are range-deleted by the caller). */
  forgetTable(tid: number): void {
    for (const k of [...this.trimmed.keys()]) if (k.startsWith(`${tid}\u0000`)) this.trimmed.delete(k);
  }

  /** Range of every `c` key of one partition (for tests and drops). */
  static partitionRange(tid: number, partition: string): { gte: Buffer; lt: Buffer } {
    return prefixRange(partitionPrefix(P.change, tid, partition));
  }
}

function trimmedKey(tid: number, partition: string): Buffer {
  return Buffer.concat([Buffer.of(P.trimmed), partitionRef(tid, partition)]);
}

function ageCutoff(maxAgeMs: number, nowMs: number): SeqId {
  const t = nowMs - maxAgeMs;
  return t <= SEQ_EPOCH_MS ? 0n : makeSeqId(Math.floor(t), 0, 0);
}
