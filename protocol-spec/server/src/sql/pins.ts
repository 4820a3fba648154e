/**
 * Route pins: a necessary condition a WHERE puts on one column (`col = k`, `col IN (...)`, or a
 * range from `<`, `<=`, `>`, `>=`, BETWEEN), read from the conjuncts of its top-level AND. A row
 * the WHERE accepts always satisfies the pin, so live routing can look subscriptions up by the
 * pinned column instead of evaluating every WHERE of a table (the WHERE still decides).
 */
import type { CellValue, KalamDataType, ParamValue, Row } from '@kalam/link/protocol';
import type { CompareOp, Expr } from './ast.js';
import type { ColumnTypes } from './compile.js';
import { coerce, compareCells } from './values.js';

/** One end of a range. */
export interface Bound {
  readonly value: CellValue;
  readonly inclusive: boolean;
}

/** What a WHERE requires of one column's value (compared with `compareCells`, as WHERE does). */
export type RoutePin =
  | { readonly kind: 'eq'; readonly column: string; readonly values: readonly CellValue[] }
  | { readonly kind: 'range'; readonly column: string; readonly lo: Bound | null; readonly hi: Bound | null };

/** Types whose cells compare by value in a total order (no JSON). */
const ORDERED = new Set<KalamDataType>(['Text', 'Int', 'SmallInt', 'BigInt', 'Double', 'Float', 'Timestamp', 'Boolean']);

/** Types whose cells may be NaN. */
const FLOATING = new Set<KalamDataType>(['Double', 'Float']);

const FLIP: Record<CompareOp, CompareOp> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function conjuncts(e: Expr, out: Expr[]): Expr[] {
  if (e.kind === 'and') {
    conjuncts(e.left, out);
    conjuncts(e.right, out);
  } else out.push(e);
  return out;
}

type Constraint = { column: string; eq: CellValue[] } | { column: string; lo: Bound | null; hi: Bound | null };

/** A constant coerced to `column`'s type exactly as compile.ts does; undefined when not a non-null constant. */
function constantFor(e: Expr, types: ColumnTypes, params: readonly ParamValue[], column: string): CellValue | undefined {
  let raw: unknown;
  if (e.kind === 'lit') raw = e.value;
  else if (e.kind === 'param') {
    if (e.index > params.length) return undefined;
    raw = params[e.index - 1];
  } else return undefined;
  const v = coerce(raw, types.get(column)!, column);
  return v === null ? undefined : v;
}

function indexable(e: Expr, types: ColumnTypes): e is { kind: 'col'; name: string } {
  if (e.kind !== 'col') return false;
  const t = types.get(e.name);
  return t !== undefined && ORDERED.has(t);
}

function constraintOf(e: Expr, types: ColumnTypes, params: readonly ParamValue[]): Constraint | undefined {
  if (e.kind === 'cmp') {
    let col = e.left;
    let other = e.right;
    let op = e.op;
    if (!indexable(col, types)) {
      col = e.right;
      other = e.left;
      op = FLIP[op];
    }
    if (!indexable(col, types) || op === '<>') return undefined;
    const k = constantFor(other, types, params, col.name);
    if (k === undefined) return undefined;
    switch (op) {
      case '=': return { column: col.name, eq: [k] };
      case '<': return { column: col.name, lo: null, hi: { value: k, inclusive: false } };
      case '<=': return { column: col.name, lo: null, hi: { value: k, inclusive: true } };
      case '>': return { column: col.name, lo: { value: k, inclusive: false }, hi: null };
      default: return { column: col.name, lo: { value: k, inclusive: true }, hi: null };
    }
  }
  if (e.kind === 'between' && !e.negated && indexable(e.expr, types)) {
    const lo = constantFor(e.low, types, params, e.expr.name);
    const hi = constantFor(e.high, types, params, e.expr.name);
    if (lo === undefined || hi === undefined) return undefined;
    return { column: e.expr.name, lo: { value: lo, inclusive: true }, hi: { value: hi, inclusive: true } };
  }
  if (e.kind === 'in' && !e.negated && indexable(e.expr, types)) {
    const values: CellValue[] = [];
    for (const item of e.list) {
      if (item.kind !== 'lit' && item.kind !== 'param') return undefined;
      const v = constantFor(item, types, params, e.expr.name);
      if (v !== undefined) values.push(v);
    }
    return { column: e.expr.name, eq: values };
  }
  return undefined;
}

function tighterLo(a: Bound | null, b: Bound | null): Bound | null {
  if (a === null) return b;
  if (b === null) return a;
  const c = compareCells(a.value, b.value);
  return c > 0 || (c === 0 && !a.inclusive) ? a : b;
}

function tighterHi(a: Bound | null, b: Bound | null): Bound | null {
  if (a === null) return b;
  if (b === null) return a;
  const c = compareCells(a.value, b.value);
  return c < 0 || (c === 0 && !a.inclusive) ? a : b;
}

/**
 * The pin of a WHERE (null: none; route by scanning). Equality (or IN) wins over ranges; ranges on
 * the first range-constrained column are intersected. Throws nothing: anything unexpected → null.
 */
export function wherePin(where: Expr | null, types: ColumnTypes, params: readonly ParamValue[]): RoutePin | null {
  return pinOfWhere(where, types, params).pin;
}

/**
 * {@link wherePin}, and whether the pin is the whole WHERE: every top-level conjunct is one of the
 * pin's own constraints (one `=`/IN, or ranges on the pin's column only), and ranges are only
 * intersected on columns that cannot hold NaN (a NaN cell compares equal to every bound, so
 * `f BETWEEN 1 AND 1 AND f > 0` is not `f BETWEEN 1 AND 1` for it). Then {@link pinHolds} decides
 * exactly as the compiled WHERE does, and a plan needs no closure of its own.
 */
export function pinOfWhere(where: Expr | null, types: ColumnTypes, params: readonly ParamValue[]): { pin: RoutePin | null; exact: boolean } {
  if (where === null) return { pin: null, exact: false };
  try {
    let range: { column: string; lo: Bound | null; hi: Bound | null } | undefined;
    const all = conjuncts(where, []);
    let exact = true;
    for (const e of all) {
      const c = constraintOf(e, types, params);
      if (c === undefined) {
        exact = false;
        continue;
      }
      if ('eq' in c) return { pin: { kind: 'eq', column: c.column, values: c.eq }, exact: all.length === 1 };
      if (range === undefined) range = c;
      else if (range.column === c.column) {
        range = { column: c.column, lo: tighterLo(range.lo, c.lo), hi: tighterHi(range.hi, c.hi) };
        if (FLOATING.has(types.get(c.column)!)) exact = false;
      } else exact = false;
    }
    // a literal, not a spread: a spread object keeps half its fields in a separate property array
    return range === undefined ? { pin: null, exact: false } : { pin: { kind: 'range', column: range.column, lo: range.lo, hi: range.hi }, exact };
  } catch {
    return { pin: null, exact: false };
  }
}

/** `x` is above a range's lower end (true when unbounded). */
export function aboveLo(x: CellValue, lo: Bound | null): boolean {
  if (lo === null) return true;
  const c = compareCells(x, lo.value);
  return c > 0 || (c === 0 && lo.inclusive);
}

/** `x` is below a range's upper end (true when unbounded). */
export function belowHi(x: CellValue, hi: Bound | null): boolean {
  if (hi === null) return true;
  const c = compareCells(x, hi.value);
  return c < 0 || (c === 0 && hi.inclusive);
}

/** Whether `row` satisfies the pin (a NULL or absent cell never does, as in SQL). */
export function pinHolds(pin: RoutePin, row: Row): boolean {
  const x = row[pin.column];
  if (x === null || x === undefined) return false;
  if (pin.kind === 'range') return aboveLo(x, pin.lo) && belowHi(x, pin.hi);
  for (const v of pin.values) if (compareCells(x, v) === 0) return true;
  return false;
}
