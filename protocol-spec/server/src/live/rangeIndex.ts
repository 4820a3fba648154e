/**
 * Which of many live queries can see a row, without evaluating every query's WHERE: queries whose
 * WHERE bounds a column (engine/live.ts {@link KeyRange}) are found by binary search on that
 * column's value; the rest are always candidates. A superset of the matches: callers still
 * evaluate WHERE on each candidate.
 */
import type { Row } from '@kalam/link/protocol';
import type { KeyRange, RangeValue } from '../engine/live.js';

/** Receives the candidates of a row (a method, not a callback: one call target however many passes run). */
export interface CandidateSink<T> {
  offer(item: T): void;
}

interface Interval<T> {
  readonly lo: RangeValue | undefined;
  readonly hi: RangeValue | undefined;
  readonly item: T;
}

/** Intervals of one column and bound kind, sorted by `lo` (unbounded first). */
class ColumnIntervals<T> {
  readonly #sorted: Interval<T>[];
  /** Highest `hi` among `#sorted[0..i]` (undefined = unbounded). */
  readonly #maxHi: (RangeValue | undefined)[];

  constructor(
    readonly column: string,
    readonly strings: boolean,
    intervals: Interval<T>[],
  ) {
    this.#sorted = intervals.sort((a, b) => (a.lo === undefined ? (b.lo === undefined ? 0 : -1) : b.lo === undefined ? 1 : order(a.lo, b.lo)));
    this.#maxHi = [];
    let max: RangeValue | undefined = intervals[0]?.hi;
    for (const iv of this.#sorted) {
      if (max !== undefined && (iv.hi === undefined || iv.hi > max)) max = iv.hi;
      this.#maxHi.push(max);
    }
  }

  /** Every item whose interval may hold `row[column]`. */
  collect(row: Row, out: CandidateSink<T>): void {
    const v = row[this.column];
    if (v === null || v === undefined) return; // `col op constant` is never TRUE on NULL
    const orderable = this.strings ? typeof v === 'string' : (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'bigint';
    if (!orderable) {
      for (const iv of this.#sorted) out.offer(iv.item); // compared some other way by WHERE: let it decide
      return;
    }
    // last interval with lo ≤ v, then back while some earlier interval still reaches v
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const l = this.#sorted[mid]!.lo;
      if (l === undefined || l <= v) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const reach = this.#maxHi[i];
      if (reach !== undefined && reach < v) break;
      const iv = this.#sorted[i]!;
      if (iv.hi === undefined || iv.hi >= v) out.offer(iv.item);
    }
  }
}

/** Candidates for a row among items with optional key ranges. */
export class RangeIndex<T> {
  readonly #columns: ColumnIntervals<T>[] = [];
  readonly #always: T[] = [];

  constructor(items: readonly T[], rangeOf: (item: T) => KeyRange | undefined) {
    const groups = new Map<string, { column: string; strings: boolean; intervals: Interval<T>[] }>();
    for (const item of items) {
      const r = rangeOf(item);
      if (r === undefined || (r.lo === undefined && r.hi === undefined)) {
        this.#always.push(item);
        continue;
      }
      const strings = typeof (r.lo ?? r.hi) === 'string';
      const key = `${strings ? 's' : 'n'}${r.column}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = { column: r.column, strings, intervals: [] }));
      g.intervals.push({ lo: r.lo, hi: r.hi, item });
    }
    for (const g of groups.values()) this.#columns.push(new ColumnIntervals(g.column, g.strings, g.intervals));
  }

  /** Offers `out` every item that may match `row` (an item may be offered once per index it is in). */
  collect(row: Row, out: CandidateSink<T>): void {
    for (const item of this.#always) out.offer(item);
    for (const c of this.#columns) c.collect(row, out);
  }
}

function order(a: RangeValue, b: RangeValue): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
