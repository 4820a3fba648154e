/**
 * Statement normalisation: the literals of a DML statement become slot parameters, so statements
 * of the same shape (`INSERT INTO t (a, b) VALUES (1, 'x')`, `... VALUES (2, 'y')`) share one
 * template — parsed once — and differ only in their slot values.
 *
 * The lexer is deliberately conservative: a literal whose parse it cannot predict exactly (exponents,
 * leading zeros, signs it cannot fold the way node-sql-parser does, prefixed strings) stays in the
 * template as text, and a statement it cannot tokenise safely (backslashes, unterminated quotes) is
 * not normalised at all. {@link bindTemplate} refuses a template IR in which any slot is missing or
 * repeated, so a template the parser reads differently from its statement is never used.
 */
import type { Literal, Statement } from './ast.js';

/** Slot `k` of a template is written `$${SLOT_BASE + k}` (far above any real parameter). */
export const SLOT_BASE = 1_000_000;

/** A statement with its literals lifted out. */
export interface NormalizedStatement {
  /** The statement text with each lifted literal replaced by `$${SLOT_BASE + k}`. */
  readonly template: string;
  /** Values of the lifted literals, by slot, as the parser would have read them. */
  readonly values: readonly Literal[];
}

const DML = /^(SELECT|INSERT|UPDATE|DELETE)\b/i;
/** Tokens after which node-sql-parser reads `-<digits>` as one negative number literal. */
const FOLD_AFTER = new Set(['(', ',', '=', '<', '>', 'AND', 'OR', 'NOT', 'BETWEEN', 'WHERE', 'VALUES', 'SET']);
const MAX_EXACT_INT_DIGITS = 15;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || isDigit(c) || c === 95 || c === 36 || c > 127;
}

/** An unsigned integer literal as the parser reads it: exact `bigint` beyond 2^53. */
function integerValue(digits: string): number | bigint {
  const b = BigInt(digits);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/**
 * Lift the literals of a SELECT/INSERT/UPDATE/DELETE statement out of its text. Returns null when
 * the statement is not DML, lifts nothing, or cannot be tokenised with certainty.
 *
 * @example
 * normalizeStatement("INSERT INTO app.t (id, s) VALUES (7, 'it''s')")
 * // → { template: 'INSERT INTO app.t (id, s) VALUES ($1000000, $1000001)', values: [7, "it's"] }
 */
export function normalizeStatement(sql: string): NormalizedStatement | null {
  if (!DML.test(sql) || sql.includes('\\')) return null;
  const values: Literal[] = [];
  let out = '';
  let copied = 0;
  /** The last significant token (upper-cased word, or punctuation char), for sign folding. */
  let prev = '';
  const n = sql.length;
  let i = 0;
  const lift = (start: number, end: number, value: Literal): void => {
    out += `${sql.slice(copied, start)}$${SLOT_BASE + values.length}`;
    copied = end;
    values.push(value);
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 39 /* ' */) {
      let j = i + 1;
      for (;;) {
        const q = sql.indexOf("'", j);
        if (q < 0) return null;
        if (sql.charCodeAt(q + 1) === 39) j = q + 2;
        else {
          j = q + 1;
          break;
        }
      }
      const before = i > 0 ? sql.charCodeAt(i - 1) : 32;
      if (!isWordChar(before) && before !== 39) lift(i, j, sql.slice(i + 1, j - 1).replace(/''/g, "'"));
      i = j;
      prev = "'";
    } else if (c === 34 /* " */ || c === 96 /* ` */) {
      const close = sql.indexOf(sql[i]!, i + 1);
      if (close < 0) return null;
      i = close + 1;
      prev = 'ident';
    } else if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42) {
      return null; // the parser's block comments nest; not worth predicting
    } else if (isDigit(c) || (c === 45 && isDigit(sql.charCodeAt(i + 1)))) {
      const negative = c === 45;
      const start = i;
      let j = negative ? i + 1 : i;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      const intEnd = j;
      let fraction = false;
      if (sql.charCodeAt(j) === 46 && isDigit(sql.charCodeAt(j + 1))) {
        fraction = true;
        j++;
        while (j < n && isDigit(sql.charCodeAt(j))) j++;
      }
      const digits = sql.slice(negative ? start + 1 : start, intEnd);
      const before = start > 0 ? sql.charCodeAt(start - 1) : 32;
      const after = j < n ? sql.charCodeAt(j) : 32;
      const clean = !isWordChar(before) && before !== 46 && !isWordChar(after) && after !== 46 && after !== 39 && after !== 34;
      const plainInt = digits === '0' || digits[0] !== '0';
      if (negative) {
        if (clean && !fraction && plainInt && FOLD_AFTER.has(prev)) lift(start, j, Number(sql.slice(start, j)));
        else if (clean && !fraction && plainInt) lift(start + 1, j, integerValue(digits)); // binary minus: `-` stays
        else if (!clean) return null;
      } else if (clean && plainInt) {
        if (!fraction) lift(start, j, integerValue(digits));
        else if (digits.length <= MAX_EXACT_INT_DIGITS) lift(start, j, Number(sql.slice(start, j)));
      }
      if (!clean && !negative && isWordChar(after)) return null;
      i = j;
      prev = '0';
    } else if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(sql.charCodeAt(j))) j++;
      const word = sql.slice(i, j);
      if (c === 36 /* $ */) {
        if (!/^\$\d+$/.test(word) || Number(word.slice(1)) >= SLOT_BASE) return null;
      }
      prev = word.toUpperCase();
      i = j;
    } else {
      if (c > 32) prev = sql[i]!;
      i++;
    }
  }
  if (values.length === 0) return null;
  return { template: out + sql.slice(copied), values };
}

function mapSlots(node: unknown, values: readonly Literal[], used: Uint8Array): unknown {
  if (Array.isArray(node)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      const v: unknown = node[i];
      const m = mapSlots(v, values, used);
      if (m !== v) (copy ??= node.slice())[i] = m;
    }
    return copy ?? node;
  }
  if (typeof node !== 'object' || node === null) return node;
  const rec = node as Record<string, unknown>;
  if (rec['kind'] === 'param' && typeof rec['index'] === 'number' && rec['index'] >= SLOT_BASE) {
    const k = rec['index'] - SLOT_BASE;
    if (k >= values.length || used[k] === 1) throw new RangeError('slot');
    used[k] = 1;
    return { kind: 'lit', value: values[k] };
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(rec)) {
    const v = rec[key];
    const m = mapSlots(v, values, used);
    if (m !== v) (copy ??= { ...rec })[key] = m;
  }
  return copy ?? node;
}

/**
 * The statement a template stands for with `values` in its slots (unchanged subtrees are shared
 * with the template). Returns null when the template's IR does not hold every slot exactly once
 * (the parser read the template differently from the statement: use the statement itself).
 */
export function bindTemplate(template: Statement, values: readonly Literal[]): Statement | null {
  const used = new Uint8Array(values.length);
  let bound: unknown;
  try {
    bound = mapSlots(template, values, used);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
  return used.every((u) => u === 1) ? (bound as Statement) : null;
}
