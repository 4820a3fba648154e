/**
 * Per-partition primary-key filters that let an INSERT skip the RocksDB duplicate-key read when
 * the answer is certain: a key the partition's {@link KeyFilter} has never seen is not stored.
 *
 * Exactness rests on one invariant: every key stored in a filtered partition is in its filter.
 * A filter is built (under the writer lock) from a keys-only scan of the partition, and every key
 * an INSERT or UPDATE writes is added before its batch is committed, also under the lock; deletes
 * only remove keys, so they can leave stale entries (harmless false positives) but never break it.
 * Filters live in memory only, so a restart rebuilds them from what is stored. A re-created table
 * has a new `tid`, so it never meets its predecessor's filter. Partitions holding more than
 * {@link BUILD_LIMIT} rows when first written are not filtered (always read), to keep the one-off
 * scan under the lock short.
 */
import type { KvStore } from '../store/kv.js';
import { KeyFilter } from '../store/keyFilter.js';
import { P, partitionPrefix, prefixRange } from '../store/keys.js';

/** Largest partition (in rows) scanned to build a filter. */
export const BUILD_LIMIT = 50_000;

function filterKey(tid: number, partition: string): string {
  return `${tid}\u0000${partition}`;
}

/** The engine's primary-key filters. Every method must run under the writer lock. */
export class PkFilters {
  /** `null`: partition too large when first written; always read. */
  readonly #filters = new Map<string, KeyFilter | null>();

  constructor(private readonly kv: KvStore) {}

  /**
   * Indexes of `keys` (primary-key tuples of one partition) that may already be stored; the
   * others certainly are not.
   */
  async unsure(tid: number, partition: string, keys: readonly Buffer[]): Promise<number[]> {
    const filter = await this.#filter(tid, partition);
    const out: number[] = [];
    for (let i = 0; i < keys.length; i++) if (filter === null || filter.mayContain(keys[i]!)) out.push(i);
    return out;
  }

  /** Record keys about to be written to a partition (call before committing them). */
  add(tid: number, partition: string, keys: readonly Buffer[]): void {
    const filter = this.#filters.get(filterKey(tid, partition));
    // No filter yet: the build scan will see these keys once they are committed (under the lock).
    if (filter) for (const k of keys) filter.add(k);
  }

  /** Drop the filters of a table (or of one partition) whose keys were deleted. */
  forget(tid: number, partition?: string): void {
    if (partition !== undefined) this.#filters.delete(filterKey(tid, partition));
    else for (const k of [...this.#filters.keys()]) if (k.startsWith(`${tid}\u0000`)) this.#filters.delete(k);
  }

  async #filter(tid: number, partition: string): Promise<KeyFilter | null> {
    const k = filterKey(tid, partition);
    const known = this.#filters.get(k);
    if (known !== undefined) return known;
    const prefix = partitionPrefix(P.row, tid, partition);
    const keys: Buffer[] = [];
    for await (const { key } of this.kv.range({ ...prefixRange(prefix), keysOnly: true, limit: BUILD_LIMIT + 1 })) keys.push(key.subarray(prefix.length));
    let filter: KeyFilter | null = null;
    if (keys.length <= BUILD_LIMIT) {
      filter = new KeyFilter(keys.length * 2);
      for (const key of keys) filter.add(key);
    }
    this.#filters.set(k, filter);
    return filter;
  }
}
