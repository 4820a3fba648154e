/**
 * Subscriptions of one route key (user × table, or shared table) indexed by their WHERE's pin
 * (sql/pins.ts): a hash per pinned column for equality, a centred interval tree per pinned column
 * for ranges, and a scan list for the rest. A change reaches the subscriptions whose pin holds for
 * its old or its new row — O(pinned columns × log n + matches) instead of one WHERE per
 * subscription. The result is a superset of the subscriptions the change concerns; their WHERE
 * (evaluated on old and new rows) still decides.
 */
import type { CellValue, Row } from '@kalam/link/protocol';
import { aboveLo, belowHi, type Bound, type RoutePin } from '../sql/pins.js';
import { compareCells } from '../sql/values.js';

/** Hash key under which `compareCells`-equal cells collide (5 = 5n, -0 = 0). */
export function cellKey(v: CellValue): string {
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'bigint') return `n${v}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `n${BigInt(v)}` : `n${v}`;
  if (typeof v === 'boolean') return v ? 'b1' : 'b0';
  return `j${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))}`;
}

/**
 * Subscriptions sharing one pin value or range, in registration order. Most pins are held by one
 * subscription (e.g. `id > k` with a distinct k each): that one is kept without a Set.
 */
class Bucket<S> {
  #one: S | undefined;
  #many: Set<S> | undefined;

  add(sub: S): void {
    if (this.#many !== undefined) this.#many.add(sub);
    else if (this.#one === undefined) this.#one = sub;
    else if (this.#one !== sub) {
      this.#many = new Set([this.#one, sub]);
      this.#one = undefined;
    }
  }

  /** Remove `sub`; true when the bucket is now empty. */
  delete(sub: S): boolean {
    if (this.#many !== undefined) {
      this.#many.delete(sub);
      return this.#many.size === 0;
    }
    if (this.#one === sub) this.#one = undefined;
    return this.#one === undefined;
  }

  /** The subscriptions (a live view: read it before the bucket changes). */
  get members(): Iterable<S> {
    return this.#many ?? (this.#one === undefined ? [] : [this.#one]);
  }
}

/** One distinct range and the subscriptions pinned to it. */
class Interval<S> extends Bucket<S> {
  constructor(
    readonly lo: Bound | null,
    readonly hi: Bound | null,
  ) {
    super();
  }
}

interface TreeNode<S> {
  readonly center: CellValue;
  /** Intervals containing `center`, by lower bound ascending (unbounded and inclusive first). */
  readonly byLo: readonly Interval<S>[];
  /** The same intervals by upper bound descending (unbounded and inclusive first). */
  readonly byHi: readonly Interval<S>[];
  readonly left: TreeNode<S> | null;
  readonly right: TreeNode<S> | null;
  /** Set instead of the above when the intervals could not be split around a center. */
  readonly flat: readonly Interval<S>[] | null;
}

function compareLo(a: Bound | null, b: Bound | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const c = compareCells(a.value, b.value);
  return c !== 0 ? c : a.inclusive === b.inclusive ? 0 : a.inclusive ? -1 : 1;
}

function compareHiDesc(a: Bound | null, b: Bound | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const c = compareCells(b.value, a.value);
  return c !== 0 ? c : a.inclusive === b.inclusive ? 0 : a.inclusive ? -1 : 1;
}

function build<S>(intervals: readonly Interval<S>[]): TreeNode<S> | null {
  if (intervals.length === 0) return null;
  const ends: CellValue[] = [];
  for (const iv of intervals) {
    if (iv.lo !== null) ends.push(iv.lo.value);
    if (iv.hi !== null) ends.push(iv.hi.value);
  }
  ends.sort(compareCells);
  // binary search for a center that splits: one every interval ends before (exclusively) moves down
  let from = 0;
  let to = ends.length - 1;
  while (from <= to) {
    const center = ends[(from + to) >> 1]!;
    const left: Interval<S>[] = [];
    const right: Interval<S>[] = [];
    const here: Interval<S>[] = [];
    for (const iv of intervals) {
      if (!belowHi(center, iv.hi)) left.push(iv);
      else if (!aboveLo(center, iv.lo)) right.push(iv);
      else here.push(iv);
    }
    if (left.length === intervals.length) to = ((from + to) >> 1) - 1;
    else if (right.length === intervals.length) from = ((from + to) >> 1) + 1;
    else {
      return {
        center,
        byLo: here.slice().sort((x, y) => compareLo(x.lo, y.lo)),
        byHi: here.slice().sort((x, y) => compareHiDesc(x.hi, y.hi)),
        left: build(left),
        right: build(right),
        flat: null,
      };
    }
  }
  // no end value splits them (e.g. a single open interval (a, b)): checked one by one
  return { center: ends[0]!, byLo: [], byHi: [], left: null, right: null, flat: intervals };
}

/** Push the subscriptions of every interval containing `x`. */
function stab<S>(node: TreeNode<S> | null, x: CellValue, out: Iterable<S>[]): void {
  while (node !== null) {
    if (node.flat !== null) {
      for (const iv of node.flat) if (aboveLo(x, iv.lo) && belowHi(x, iv.hi)) out.push(iv.members);
      return;
    }
    const c = compareCells(x, node.center);
    if (c === 0) {
      for (const iv of node.byLo) out.push(iv.members);
      return;
    }
    if (c < 0) {
      for (const iv of node.byLo) {
        if (!aboveLo(x, iv.lo)) break;
        out.push(iv.members);
      }
      node = node.left;
    } else {
      for (const iv of node.byHi) {
        if (!belowHi(x, iv.hi)) break;
        out.push(iv.members);
      }
      node = node.right;
    }
  }
}

function boundKey(b: Bound | null): string {
  return b === null ? '*' : `${b.inclusive ? '[' : '('}${cellKey(b.value)}`;
}

/** Pinned subscriptions of one column. */
class ColumnIndex<S> {
  readonly eq = new Map<string, Bucket<S>>();
  readonly ranges = new Map<string, Interval<S>>();
  #tree: TreeNode<S> | null | undefined = null;
  size = 0;

  add(pin: RoutePin, sub: S): void {
    this.size++;
    if (pin.kind === 'eq') {
      for (const v of pin.values) {
        const k = cellKey(v);
        let bucket = this.eq.get(k);
        if (bucket === undefined) this.eq.set(k, (bucket = new Bucket()));
        bucket.add(sub);
      }
      return;
    }
    const k = `${boundKey(pin.lo)}|${boundKey(pin.hi)}`;
    let iv = this.ranges.get(k);
    if (iv === undefined) {
      this.ranges.set(k, (iv = new Interval(pin.lo, pin.hi)));
      this.#tree = undefined;
    }
    iv.add(sub);
  }

  remove(pin: RoutePin, sub: S): void {
    this.size--;
    if (pin.kind === 'eq') {
      for (const v of pin.values) {
        const k = cellKey(v);
        if (this.eq.get(k)?.delete(sub) === true) this.eq.delete(k);
      }
      return;
    }
    const k = `${boundKey(pin.lo)}|${boundKey(pin.hi)}`;
    const iv = this.ranges.get(k);
    if (iv?.delete(sub) === true) {
      this.ranges.delete(k);
      this.#tree = undefined;
    }
  }

  collect(x: CellValue, out: Iterable<S>[]): void {
    const hit = this.eq.get(cellKey(x));
    if (hit !== undefined) out.push(hit.members);
    if (this.ranges.size === 0) return;
    if (this.#tree === undefined) this.#tree = build([...this.ranges.values()]);
    stab(this.#tree, x, out);
  }
}

/** The subscriptions of one route key. */
export class RouteIndex<S> {
  /** Every subscription, in registration order (what an unindexed route visits). */
  readonly all = new Set<S>();
  readonly #scan = new Set<S>();
  readonly #columns = new Map<string, ColumnIndex<S>>();

  add(sub: S, pin: RoutePin | null): void {
    if (this.all.has(sub)) return;
    this.all.add(sub);
    if (pin === null) {
      this.#scan.add(sub);
      return;
    }
    let col = this.#columns.get(pin.column);
    if (col === undefined) this.#columns.set(pin.column, (col = new ColumnIndex()));
    col.add(pin, sub);
  }

  /** Remove `sub` (registered with `pin`); false when it was not here. */
  remove(sub: S, pin: RoutePin | null): boolean {
    if (!this.all.delete(sub)) return false;
    if (pin === null) {
      this.#scan.delete(sub);
      return true;
    }
    const col = this.#columns.get(pin.column);
    if (col !== undefined) {
      col.remove(pin, sub);
      if (col.size === 0) this.#columns.delete(pin.column);
    }
    return true;
  }

  get size(): number {
    return this.all.size;
  }

  /**
   * The sets of subscriptions whose pin holds for `oldRow` or `newRow`, plus the unpinned ones:
   * every subscription whose WHERE accepts either row is in one of them (some may be in several).
   * Each set is in registration order. Owned by the index: read them before the next change.
   */
  candidates(oldRow: Row | null, newRow: Row | null): Iterable<S>[] {
    const out: Iterable<S>[] = [];
    if (this.#scan.size > 0) out.push(this.#scan);
    for (const [column, index] of this.#columns) {
      const a = oldRow?.[column];
      const b = newRow?.[column];
      if (a !== null && a !== undefined) index.collect(a, out);
      if (b !== null && b !== undefined && (a === null || a === undefined || compareCells(a, b) !== 0)) index.collect(b, out);
    }
    return out;
  }

  /** True when some subscription here is indexed (else every change visits {@link all}). */
  get indexed(): boolean {
    return this.#columns.size > 0;
  }
}
