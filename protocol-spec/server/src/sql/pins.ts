/**
 * Route pins: a necessary condition a WHERE puts on one column (`col = k`, `col IN (...)`, or a
 * range from `<`, `<=`, `>`, `>=`, BETWEEN), read from the conjuncts of its top-level AND. A row
 * the WHERE accepts always satisfies the pin, so live routing can look subscriptions up by the
 * pinned column instead of evaluating every WHERE of a table (the WHERE still decides).
 */
import type { CellValue, KalamDataType, ParamValue } from '@kalam/link/protocol';
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
  if (where === null) return null;
  try {
    let range: { column: string; lo: Bound | null; hi: Bound | null } | undefined;
    for (const e of conjuncts(where, [])) {
      const c = constraintOf(e, types, params);
      if (c === undefined) continue;
      if ('eq' in c) return { kind: 'eq', column: c.column, values: c.eq };
      if (range === undefined) range = { ...c };
      else if (range.column === c.column) range = { column: c.column, lo: tighterLo(range.lo, c.lo), hi: tighterHi(range.hi, c.hi) };
    }
    return range === undefined ? null : { kind: 'range', ...range };
  } catch {
    return null;
  }
}
