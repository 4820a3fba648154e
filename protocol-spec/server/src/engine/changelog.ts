/**
 * The change log: one `c` entry per committed row change (written in the row's batch), a global
 * `g` order index for retention, and per-partition trim marks (`h`) for {@link ChangeLog.isTrimmedAfter}.
 */
import { makeSeqId, SEQ_EPOCH_MS, type CellValue, type ChangeType, type Row, type SeqId } from '@kalam/link/protocol';
import type { KvStore, KvWrite } from '../store/kv.js';
import { nameKey, P, parsePartitionRef, partitionPrefix, partitionRef, prefixRange, readU64, seqKey, seqOfKey, u64 } from '../store/keys.js';
import { rowJson, type TableMeta } from './catalog.js';
import { ChangeTail, decodeChange } from './changeTail.js';
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

/**
 * Encoded entries of one append, for {@link ChangeLog.applyAppend}; `change` is the committed
 * change itself when decoding `text` would give exactly it ({@link jsonExactRow}).
 */
export type AppendedEntries = readonly { readonly seq: SeqId; readonly text: string; readonly change?: CommittedChange }[];

/** V8 copies shorter substrings instead of slicing (SlicedString::kMinLength). */
const SLICED_STRING_MIN = 13;

/**
 * True when `row` comes back from its log text (rowJson → JSON.parse → reviveRow) as exactly
 * these values: strings, booleans, nulls, finite numbers other than −0, and bigints in BIGINT
 * columns, in a plain object. Anything else (−0, NaN, a bigint elsewhere, a nested object…) is
 * decoded from the text.
 */
export function jsonExactRow(table: TableMeta, row: Row): boolean {
  if (Object.getPrototypeOf(row) !== Object.prototype) return false;
  for (const key of Object.keys(row)) {
    const v = row[key];
    const bigintColumn = table.types.get(key) === 'BigInt';
    switch (typeof v) {
      case 'string':
        // reviveRow turns a string in a BIGINT column into a bigint
        if (bigintColumn || key === '__proto__') return false;
        break;
      case 'boolean':
        break;
      case 'number':
        if (!Number.isFinite(v) || Object.is(v, -0)) return false;
        break;
      case 'bigint':
        if (!bigintColumn) return false;
        break;
      case 'object':
        if (v !== null) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * `row` as a long-lived holder (the in-memory tail) may keep it: itself when every string is
 * short, else a copy whose long strings are fresh. A string of 13 or more characters may be V8's
 * slice of the whole statement text (an INSERT of thousands of rows), which holding the row would
 * keep alive for as long as the row.
 */
export function detachedRow(row: Row): Row {
  let copy: Record<string, CellValue> | undefined;
  for (const key of Object.keys(row)) {
    const v = row[key];
    // decoded from bytes: a new string whatever V8 made of the original (a slice, or parts of a cons, may share the statement)
    if (typeof v === 'string' && v.length >= SLICED_STRING_MIN) (copy ??= { ...row })[key] = Buffer.from(v, 'utf8').toString('utf8');
  }
  return copy ?? row;
}

/** Change-log state and operations. Mutating operations must run under the engine's writer lock. */
export class ChangeLog {
  private count = 0;
  private oldest: SeqId | undefined;
  private readonly trimmed = new Map<string, SeqId>();
  /** Newest entries in memory (reads of recent ranges skip RocksDB); absent until {@link useTail}. */
  private tail: ChangeTail | undefined;

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

  /** Keep the newest entries in memory from now on; `tail` starts at the last committed seq. */
  useTail(tail: ChangeTail): void {
    this.tail = tail;
  }

  /** Writes appending `changes` of one table partition (plus the new count); returns the entries for {@link applyAppend}. */
  appendWrites(table: TableMeta, partition: string, changes: readonly PendingChange[], out: KvWrite[]): AppendedEntries {
    const ref = partitionRef(table.tid, partition);
    const entries: { seq: SeqId; text: string; change?: CommittedChange }[] = [];
    for (const ch of changes) {
      // the text is kept for the in-memory tail: a string, not a pooled Buffer slice that would pin its slab
      const text = rowJson({ k: ch.changeType, o: ch.oldRow, n: ch.newRow } as unknown as Row);
      out.push({ type: 'put', key: seqKey(P.change, table.tid, partition, ch.seq), value: Buffer.from(text, 'utf8') });
      out.push({ type: 'put', key: Buffer.concat([Buffer.of(P.logOrder), u64(ch.seq)]), value: ref });
      // the tail keeps the rows themselves (long strings copied) when its text would decode to exactly them: a mass
      // resume then parses nothing (dml builds these rows fresh per statement and nothing mutates a committed row)
      const exact = (ch.oldRow === null || jsonExactRow(table, ch.oldRow)) && (ch.newRow === null || jsonExactRow(table, ch.newRow));
      if (!exact) entries.push({ seq: ch.seq, text });
      else {
        const oldRow = ch.oldRow === null ? null : detachedRow(ch.oldRow);
        const newRow = ch.newRow === null ? null : detachedRow(ch.newRow);
        const change: CommittedChange = { seq: ch.seq, tableId: table.tableId, kind: table.kind, partition, changeType: ch.changeType, oldRow, newRow };
        entries.push({ seq: ch.seq, text, change });
      }
    }
    out.push({ type: 'put', key: COUNT_KEY, value: u64(BigInt(this.count + changes.length)) });
    return entries;
  }

  /**
   * Record a committed append. Must run in the same synchronous step that advances the committed
   * seq, so a reader never sees a head the in-memory tail does not hold yet.
   */
  applyAppend(table: TableMeta, partition: string, entries: AppendedEntries): void {
    if (entries.length === 0) return;
    this.count += entries.length;
    if (this.oldest === undefined) this.oldest = entries[0]!.seq;
    this.tail?.append(table.tid, partition, entries);
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
    const recent = this.tail?.read(table, partition, afterSeq, uptoSeq, limit);
    if (recent === undefined) return this.readStored(table, partition, afterSeq, uptoSeq, limit);
    // a page from memory still yields to the event loop, as a RocksDB read does: a mass resume
    // replaying page after page must not starve every other socket and request meanwhile
    await new Promise<void>((resolve) => setImmediate(resolve));
    return recent;
  }

  /**
   * Changes of one partition with afterSeq < seq ≤ uptoSeq that `keep` accepts, examining at most
   * `limit`; `scannedTo` = the last examined seq, or uptoSeq once the range is exhausted.
   */
  async readKept(
    table: TableMeta,
    partition: string,
    afterSeq: SeqId,
    uptoSeq: SeqId,
    limit: number,
    keep: (change: CommittedChange) => boolean,
  ): Promise<{ changes: CommittedChange[]; scannedTo: SeqId }> {
    const recent = this.tail?.scan(table, partition, afterSeq, uptoSeq, limit, keep);
    if (recent !== undefined) {
      await new Promise<void>((resolve) => setImmediate(resolve)); // yield as a RocksDB read would (see read)
      return recent;
    }
    // from RocksDB, keeping only matches as it goes (a large scan holds no page of the rest)
    const changes: CommittedChange[] = [];
    let examined = 0;
    let last: SeqId | undefined;
    if (uptoSeq > afterSeq && limit > 0) {
      const range = { gt: seqKey(P.change, table.tid, partition, afterSeq), lte: seqKey(P.change, table.tid, partition, uptoSeq), limit };
      for await (const { key, value } of this.kv.range(range)) {
        const change = decodeChange(table, partition, seqOfKey(key), value.toString('utf8'));
        examined++;
        last = change.seq;
        if (keep(change)) changes.push(change);
      }
    }
    return { changes, scannedTo: examined < limit || last === undefined ? (uptoSeq > afterSeq ? uptoSeq : afterSeq) : last };
  }

  /** {@link read} from RocksDB only. */
  async readStored(table: TableMeta, partition: string, afterSeq: SeqId, uptoSeq: SeqId, limit: number): Promise<CommittedChange[]> {
    const out: CommittedChange[] = [];
    if (uptoSeq <= afterSeq || limit <= 0) return out;
    const range = { gt: seqKey(P.change, table.tid, partition, afterSeq), lte: seqKey(P.change, table.tid, partition, uptoSeq), limit };
    for await (const { key, value } of this.kv.range(range)) out.push(decodeChange(table, partition, seqOfKey(key), value.toString('utf8')));
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
      this.tail?.forgetPartition(tid, partition, last);
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
    this.tail?.forgetTable(tid);
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
