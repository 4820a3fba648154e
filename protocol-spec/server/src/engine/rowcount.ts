/**
 * Per-partition row counts (`n` keys), written in the same batch as the rows, so a snapshot reads
 * a count consistent with its rows in O(1) — the `total_rows` of an unfiltered subscription.
 */
import type { KvReader, KvStore, KvWrite } from '../store/kv.js';
import { nameKey, P, partitionRef, prefixRange, readU64, tablePrefix, u64 } from '../store/keys.js';

const READY_KEY = nameKey(P.meta, 'rowcounts');
const BUILD_CHUNK = 5000;

function countKey(tid: number, partition: string): Buffer {
  return Buffer.concat([Buffer.of(P.rowCount), partitionRef(tid, partition)]);
}

/** The row count of one partition as `reader` sees it. */
export async function readRowCount(reader: KvReader, tid: number, partition: string): Promise<number> {
  const v = await reader.get(countKey(tid, partition));
  return v ? Number(readU64(v, 0)) : 0;
}

/** Row counts, cached for the writer. Mutations run under the engine's writer lock. */
export class RowCounts {
  private readonly cache = new Map<string, number>();

  private constructor(private readonly kv: KvStore) {}

  /** Load, first building the counts from the `_seq` index when the data dir predates them. */
  static async load(kv: KvStore): Promise<RowCounts> {
    if (!(await kv.get(READY_KEY))) await build(kv);
    return new RowCounts(kv);
  }

  /** Add the write moving a partition's count by `delta`; returns what to apply after the commit. */
  async prepare(tid: number, partition: string, delta: number, out: KvWrite[]): Promise<() => void> {
    if (delta === 0) return () => undefined;
    const k = `${tid}\u0000${partition}`;
    const next = (this.cache.get(k) ?? (await readRowCount(this.kv, tid, partition))) + delta;
    out.push({ type: 'put', key: countKey(tid, partition), value: u64(BigInt(next)) });
    return () => this.cache.set(k, next);
  }

  /** Writes removing one partition's count (its rows are being deleted too). */
  partitionWrites(tid: number, partition: string, out: KvWrite[]): void {
    out.push({ type: 'del', key: countKey(tid, partition) });
  }

  /** Writes removing every count of a table. */
  tableWrites(tid: number, out: KvWrite[]): void {
    out.push({ type: 'delRange', ...prefixRange(tablePrefix(P.rowCount, tid)) });
  }

  /** Forget cached counts of a table (or one partition of it) after their keys were deleted. */
  forget(tid: number, partition?: string): void {
    if (partition !== undefined) this.cache.delete(`${tid}\u0000${partition}`);
    else for (const k of [...this.cache.keys()]) if (k.startsWith(`${tid}\u0000`)) this.cache.delete(k);
  }
}

/** One-time count of every partition from the `_seq` index (`s · tid · partition · 0 · seq`). */
async function build(kv: KvStore): Promise<void> {
  const counts = new Map<string, { tid: number; partition: string; n: number }>();
  for await (const { key } of kv.range(prefixRange(Buffer.of(P.seqIndex)))) {
    const tid = key.readUInt32BE(1);
    const partition = key.subarray(5, key.length - 9).toString('utf8');
    const k = `${tid}\u0000${partition}`;
    const c = counts.get(k);
    if (c) c.n++;
    else counts.set(k, { tid, partition, n: 1 });
  }
  let writes: KvWrite[] = [];
  for (const c of counts.values()) {
    writes.push({ type: 'put', key: countKey(c.tid, c.partition), value: u64(BigInt(c.n)) });
    if (writes.length >= BUILD_CHUNK) {
      await kv.batch(writes);
      writes = [];
    }
  }
  writes.push({ type: 'put', key: READY_KEY, value: u64(1n) });
  await kv.batch(writes);
}
