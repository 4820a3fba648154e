/**
 * Compile WHERE / value expressions against a table's columns, with parameters bound, into plain
 * functions over stored rows. SQL three-valued logic: a row matches only when WHERE is TRUE.
 */
import { KalamError, type CellValue, type KalamDataType, type ParamValue, type Row } from '@kalam/link/protocol';
import type { CompareOp, Expr } from './ast.js';
import { coerce, compareCells, likeToRegExp } from './values.js';

/** Column types by name (including `_seq` as BigInt). */
export type ColumnTypes = ReadonlyMap<string, KalamDataType>;

type Tri = boolean | null;
type Value = (row: Row) => CellValue;
type Pred = (row: Row) => Tri;

/** A compiled WHERE: true only when the row matches. */
export type RowPredicate = (row: Row) => boolean;

function param(params: readonly ParamValue[], index: number): ParamValue {
  if (index > params.length) throw new KalamError('INVALID_ARGUMENT', `missing value for parameter $${index}`);
  return params[index - 1] as ParamValue;
}

function column(types: ColumnTypes, name: string): KalamDataType {
  const t = types.get(name);
  if (t === undefined) throw new KalamError('INVALID_SQL', `unknown column ${name}`);
  return t;
}

/** The value of a constant expression (literal or parameter), or undefined when it is not constant. */
function constant(e: Expr, params: readonly ParamValue[]): { value: unknown } | undefined {
  if (e.kind === 'lit') return { value: e.value };
  if (e.kind === 'param') return { value: param(params, e.index) };
  return undefined;
}

/** Compile a scalar expression; constants are coerced to `hint` (the column type they meet). */
function value(e: Expr, types: ColumnTypes, params: readonly ParamValue[], hint: { type: KalamDataType; column: string } | undefined): Value {
  if (e.kind === 'col') {
    column(types, e.name);
    const name = e.name;
    return (row) => row[name] ?? null;
  }
  const c = constant(e, params);
  if (c) {
    const v = hint ? coerce(c.value, hint.type, hint.column) : (c.value as CellValue);
    return () => v;
  }
  throw new KalamError('UNSUPPORTED', 'only columns, literals and parameters are supported as values');
}

function hintOf(e: Expr, types: ColumnTypes): { type: KalamDataType; column: string } | undefined {
  return e.kind === 'col' ? { type: column(types, e.name), column: e.name } : undefined;
}

const NO_ROW: Row = {};

/**
 * `column <op> constant`, the usual WHERE shape, as one closure per operator (evaluated per row
 * per live query in fan-out and catch-up); same result as the generic comparison.
 */
function columnVsConstant(name: string, k: CellValue, op: CompareOp): Pred {
  if (k === null) return () => null;
  switch (op) {
    case '=':
      return (row) => {
        const a = row[name];
        return a === null || a === undefined ? null : compareCells(a, k) === 0;
      };
    case '<>':
      return (row) => {
        const a = row[name];
        return a === null || a === undefined ? null : compareCells(a, k) !== 0;
      };
    case '<':
      return (row) => {
        const a = row[name];
        return a === null || a === undefined ? null : compareCells(a, k) < 0;
      };
    case '<=':
      return (row) => {
        const a = row[name];
        return a === null || a === undefined ? null : compareCells(a, k) <= 0;
      };
    case '>':
      return (row) => {
        const a = row[name];
        return a === null || a === undefined ? null : compareCells(a, k) > 0;
      };
    default:
      return (row) => {
        const a = row[name];
        return a === null || a === undefined ? null : compareCells(a, k) >= 0;
      };
  }
}

function pred(e: Expr, types: ColumnTypes, params: readonly ParamValue[]): Pred {
  switch (e.kind) {
    case 'and': {
      const l = pred(e.left, types, params);
      const r = pred(e.right, types, params);
      return (row) => {
        const a = l(row);
        if (a === false) return false;
        const b = r(row);
        if (b === false) return false;
        return a === null || b === null ? null : true;
      };
    }
    case 'or': {
      const l = pred(e.left, types, params);
      const r = pred(e.right, types, params);
      return (row) => {
        const a = l(row);
        if (a === true) return true;
        const b = r(row);
        if (b === true) return true;
        return a === null || b === null ? null : false;
      };
    }
    case 'not': {
      const p = pred(e.expr, types, params);
      return (row) => {
        const a = p(row);
        return a === null ? null : !a;
      };
    }
    case 'cmp': {
      const l = value(e.left, types, params, hintOf(e.right, types));
      const r = value(e.right, types, params, hintOf(e.left, types));
      const op = e.op;
      if (e.left.kind === 'col' && e.right.kind !== 'col') return columnVsConstant(e.left.name, r(NO_ROW), op);
      return (row) => {
        const a = l(row);
        const b = r(row);
        if (a === null || b === null) return null;
        const c = compareCells(a, b);
        switch (op) {
          case '=': return c === 0;
          case '<>': return c !== 0;
          case '<': return c < 0;
          case '<=': return c <= 0;
          case '>': return c > 0;
          default: return c >= 0;
        }
      };
    }
    case 'in': {
      const hint = hintOf(e.expr, types);
      const x = value(e.expr, types, params, undefined);
      const items = e.list.map((i) => value(i, types, params, hint));
      const negated = e.negated;
      return (row) => {
        const a = x(row);
        if (a === null) return null;
        let sawNull = false;
        for (const item of items) {
          const b = item(row);
          if (b === null) sawNull = true;
          else if (compareCells(a, b) === 0) return !negated;
        }
        return sawNull ? null : negated;
      };
    }
    case 'like': {
      const x = value(e.expr, types, params, undefined);
      const c = constant(e.pattern, params);
      if (!c || typeof c.value !== 'string') throw new KalamError('INVALID_ARGUMENT', 'LIKE needs a string pattern');
      const re = likeToRegExp(c.value, e.caseInsensitive);
      const negated = e.negated;
      return (row) => {
        const a = x(row);
        if (a === null) return null;
        return re.test(typeof a === 'string' ? a : String(a)) !== negated;
      };
    }
    case 'isnull': {
      const x = value(e.expr, types, params, undefined);
      const negated = e.negated;
      return (row) => (x(row) === null) !== negated;
    }
    case 'between': {
      const hint = hintOf(e.expr, types);
      const x = value(e.expr, types, params, undefined);
      const lo = value(e.low, types, params, hint);
      const hi = value(e.high, types, params, hint);
      const negated = e.negated;
      return (row) => {
        const a = x(row);
        const l = lo(row);
        const h = hi(row);
        if (a === null || l === null || h === null) return null;
        return (compareCells(a, l) >= 0 && compareCells(a, h) <= 0) !== negated;
      };
    }
    case 'col': {
      if (column(types, e.name) !== 'Boolean') throw new KalamError('INVALID_SQL', `column ${e.name} is not BOOLEAN`);
      const name = e.name;
      return (row) => {
        const v = row[name];
        return v === null || v === undefined ? null : v === true;
      };
    }
    case 'lit':
    case 'param': {
      const c = constant(e, params)!;
      const v = c.value === null ? null : coerce(c.value, 'Boolean', 'WHERE');
      return () => v as Tri;
    }
  }
}

const EVERY_ROW: RowPredicate = () => true;

/** Compile a WHERE clause (null → every row). */
export function compileWhere(where: Expr | null, types: ColumnTypes, params: readonly ParamValue[]): RowPredicate {
  if (where === null) return EVERY_ROW;
  const p = pred(where, types, params);
  return (row) => p(row) === true;
}

/** Compile a SET / VALUES expression for a target column (coerced to its type). */
export function compileValue(e: Expr, types: ColumnTypes, params: readonly ParamValue[], target: { type: KalamDataType; column: string }): Value {
  if (e.kind === 'col') {
    const name = e.name;
    column(types, name);
    return (row) => coerce(row[name] ?? null, target.type, target.column);
  }
  return value(e, types, params, target);
}

/** Highest `$n` used in the statement's expressions. */
export function maxParamIndex(exprs: readonly (Expr | null)[]): number {
  let max = 0;
  const walk = (e: Expr | null): void => {
    if (!e) return;
    switch (e.kind) {
      case 'param': max = Math.max(max, e.index); break;
      case 'cmp': case 'and': case 'or': walk(e.left); walk(e.right); break;
      case 'not': case 'isnull': walk(e.expr); break;
      case 'in': walk(e.expr); e.list.forEach(walk); break;
      case 'like': walk(e.expr); walk(e.pattern); break;
      case 'between': walk(e.expr); walk(e.low); walk(e.high); break;
      default: break;
    }
  };
  exprs.forEach(walk);
  return max;
}
