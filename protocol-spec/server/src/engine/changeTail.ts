/**
 * The newest change-log entries kept in memory, per table partition, so a catch-up of a recent
 * range (resume, snapshot → live) reads no RocksDB and parses each entry at most once however
 * many subscriptions replay it. Entries hold the exact JSON text written to the log and are
 * decoded by the same function as a RocksDB read, so both give identical changes — or, when that
 * decoding would give exactly the committed rows (changelog.ts jsonExactRow), the committed change
 * itself (its long strings copied: changelog.ts detachedRow), so a resume right after the writes
 * parses nothing. Bounded by
 * entries and by an estimate of the heap they take; the oldest entries of the whole server leave
 * first.
 */
import type { CellValue, ChangeType, SeqId } from '@kalam/link/protocol';
import { reviveRow, type TableMeta } from './catalog.js';
import type { ChangeTailOptions, CommittedChange } from './types.js';

const DEFAULT_MAX_ENTRIES = 32_768;
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
/** Heap per entry beyond its text (entry object, seq bigint, string header, slots): measured ~220 B. */
const ENTRY_OVERHEAD = 224;
/** A decoded change (row objects, strings, bigints) weighs about as much as its text; a margin for number-heavy rows. */
const DECODED_FACTOR = 0.5;

interface Entry {
  readonly seq: SeqId;
  text: string | undefined;
  decoded: CommittedChange | undefined;
  bytes: number;
}

/** One partition's entries: `entries[head..]` ascending by seq; every change after `floor` is there. */
interface PartitionTail {
  readonly entries: Entry[];
  head: number;
  floor: SeqId;
}

/** A change-log entry's JSON text (`{k, o, n}`, changelog.ts) → the change. */
function decode(table: TableMeta, partition: string, seq: SeqId, text: string): CommittedChange {
  const raw = JSON.parse(text) as { k: ChangeType; o: Record<string, CellValue> | null; n: Record<string, CellValue> | null };
  return {
    seq,
    tableId: table.tableId,
    kind: table.kind,
    partition,
    changeType: raw.k,
    oldRow: raw.o ? reviveRow(table, raw.o) : null,
    newRow: raw.n ? reviveRow(table, raw.n) : null,
  };
}

export { decode as decodeChange };

export class ChangeTail {
  readonly #parts = new Map<string, PartitionTail>();
  /** Global append order (one slot per entry), consumed from `#orderHead` on eviction. */
  #order: PartitionTail[] = [];
  #orderHead = 0;
  #size = 0;
  #bytes = 0;
  readonly #maxEntries: number;
  readonly #maxBytes: number;

  /** `startSeq`: the last seq committed before this tail began (every later change is appended). */
  constructor(
    private readonly startSeq: SeqId,
    options: ChangeTailOptions = {},
  ) {
    this.#maxEntries = Math.max(0, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.#maxBytes = Math.max(0, options.maxBytes ?? DEFAULT_MAX_BYTES);
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** Bytes accounted. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Record committed entries of one partition (ascending seqs, after every earlier append).
   * `change`, when given, must be exactly what decoding `text` gives; it is held instead of the text.
   */
  append(tid: number, partition: string, entries: readonly { readonly seq: SeqId; readonly text: string; readonly change?: CommittedChange }[]): void {
    const part = this.#part(tid, partition);
    for (const { seq, text, change } of entries) {
      // accounted as a decoded entry is (see scan)
      const bytes = text.length + ENTRY_OVERHEAD + (change === undefined ? 0 : Math.ceil(text.length * DECODED_FACTOR));
      part.entries.push(change === undefined ? { seq, text, decoded: undefined, bytes } : { seq, text: undefined, decoded: change, bytes });
      this.#order.push(part);
      this.#size++;
      this.#bytes += bytes;
    }
    this.#evict();
  }

  /**
   * Changes of one partition with afterSeq < seq ≤ uptoSeq, ascending, at most `limit` — or
   * `undefined` when the tail does not hold every change of the partition after `afterSeq`.
   */
  read(table: TableMeta, partition: string, afterSeq: SeqId, uptoSeq: SeqId, limit: number): CommittedChange[] | undefined {
    return this.scan(table, partition, afterSeq, uptoSeq, limit)?.changes;
  }

  /**
   * Like {@link read}, examining at most `limit` changes and keeping those `keep` accepts (all
   * when absent); `scannedTo` is the last examined seq when `limit` were examined, else uptoSeq.
   */
  scan(
    table: TableMeta,
    partition: string,
    afterSeq: SeqId,
    uptoSeq: SeqId,
    limit: number,
    keep?: (change: CommittedChange) => boolean,
  ): { changes: CommittedChange[]; scannedTo: SeqId } | undefined {
    const part = this.#parts.get(key(table.tid, partition));
    if (afterSeq < (part?.floor ?? this.startSeq)) return undefined;
    const changes: CommittedChange[] = [];
    if (part === undefined || uptoSeq <= afterSeq || limit <= 0) return { changes, scannedTo: uptoSeq > afterSeq ? uptoSeq : afterSeq };
    const { entries } = part;
    const from = firstAfter(entries, part.head, afterSeq);
    const inRange = firstAfter(entries, from, uptoSeq);
    const end = Math.min(inRange, from + limit);
    // hot loop of a mass catch-up: index bounds only, no bigint compares per entry
    // like a RocksDB read of `limit` entries, a full page reports its last seq even when nothing follows
    const scannedTo = end - from === limit ? entries[end - 1]!.seq : uptoSeq;
    let grown = 0;
    for (let i = from; i < end; i++) {
      const e = entries[i]!;
      if (e.decoded === undefined) {
        e.decoded = decode(table, partition, e.seq, e.text!);
        e.text = undefined;
        const more = Math.ceil((e.bytes - ENTRY_OVERHEAD) * DECODED_FACTOR);
        e.bytes += more;
        grown += more;
      }
      if (keep === undefined || keep(e.decoded)) changes.push(e.decoded);
    }
    if (grown > 0) {
      this.#bytes += grown;
      this.#evict();
    }
    return { changes, scannedTo };
  }

  /** Forget every entry of a table whose rows are gone (its tid is never reused). */
  forgetTable(tid: number): void {
    const prefix = `${tid}\u0000`;
    for (const k of [...this.#parts.keys()]) if (k.startsWith(prefix)) this.#clear(this.#parts.get(k)!);
  }

  /** Forget one partition's entries up to `seq` (a purge); later reads before it fall back to the log. */
  forgetPartition(tid: number, partition: string, seq: SeqId): void {
    const part = this.#parts.get(key(tid, partition));
    if (part === undefined) return;
    this.#clear(part);
    if (seq > part.floor) part.floor = seq;
  }

  #part(tid: number, partition: string): PartitionTail {
    const k = key(tid, partition);
    let part = this.#parts.get(k);
    if (part === undefined) this.#parts.set(k, (part = { entries: [], head: 0, floor: this.startSeq }));
    return part;
  }

  /** Drop a partition's held entries (their order slots then evict nothing or a newer entry early: bounds hold either way). */
  #clear(part: PartitionTail): void {
    for (let i = part.head; i < part.entries.length; i++) {
      const e = part.entries[i]!;
      this.#bytes -= e.bytes;
      this.#size--;
      if (e.seq > part.floor) part.floor = e.seq;
    }
    part.entries.length = 0;
    part.head = 0;
  }

  #evict(): void {
    while (this.#size > this.#maxEntries || (this.#bytes > this.#maxBytes && this.#size > 0)) {
      const part = this.#order[this.#orderHead++];
      if (part === undefined) break;
      if (part.head >= part.entries.length) continue; // slot of a cleared entry
      const e = part.entries[part.head++]!;
      part.floor = e.seq;
      this.#size--;
      this.#bytes -= e.bytes;
      compact(part);
    }
    if (this.#orderHead > 4096 && this.#orderHead * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#orderHead);
      this.#orderHead = 0;
    }
  }
}

function key(tid: number, partition: string): string {
  return `${tid}\u0000${partition}`;
}

/** Release a partition's consumed prefix once it is large. */
function compact(part: PartitionTail): void {
  if (part.head > 1024 && part.head * 2 > part.entries.length) {
    part.entries.splice(0, part.head);
    part.head = 0;
  }
}

/** Index of the first entry at or after `from` with seq > `after` (binary search). */
function firstAfter(entries: readonly Entry[], from: number, after: SeqId): number {
  let lo = from;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.seq <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
