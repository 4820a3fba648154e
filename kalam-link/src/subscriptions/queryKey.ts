/**
 * Canonical keys of live queries: two queries share one server subscription exactly when their
 * keys are equal.
 */
import type { CellValue } from '../protocol/messages.js';

/**
 * SQL with whitespace normalised: runs of whitespace outside quotes become one space, and the
 * ends are trimmed. Quoted text (`'...'`, `"..."`, with doubled-quote escapes) is kept verbatim.
 *
 * @example
 * ```ts
 * canonicalSql(" SELECT *\n  FROM t WHERE s = 'a  b' ") // "SELECT * FROM t WHERE s = 'a  b'"
 * ```
 */
export function canonicalSql(sql: string): string {
  let out = '';
  let quote: string | undefined;
  let pendingSpace = false;
  for (const ch of sql) {
    if (quote !== undefined) {
      out += ch;
      if (ch === quote) quote = undefined; // a doubled quote reopens at once, which keeps it verbatim
      continue;
    }
    if (/\s/.test(ch)) {
      pendingSpace = out.length > 0;
      continue;
    }
    if (pendingSpace) out += ' ';
    pendingSpace = false;
    out += ch;
    if (ch === "'" || ch === '"') quote = ch;
  }
  return out;
}

/**
 * An exact, type-tagged serialisation of a parameter value: `1`, `1n`, `"1"` and `1.0`/`1` differ
 * where the types differ; object keys are sorted; bytes are kept byte for byte.
 */
export function canonicalValue(value: CellValue | undefined): string {
  switch (typeof value) {
    case 'undefined':
      return 'u';
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      return Object.is(value, -0) ? 'n-0' : `n${String(value)}`;
    case 'bigint':
      return `b${value.toString()}`;
    case 'string':
      return JSON.stringify(value);
    default:
      if (value === null) return 'z';
      if (value instanceof Uint8Array) return `x${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')}`;
      if (Array.isArray(value)) return `[${(value as readonly CellValue[]).map(canonicalValue).join(',')}]`;
      return `{${Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalValue((value as Record<string, CellValue>)[k])}`)
        .join(',')}}`;
  }
}

const functionIds = new WeakMap<object, number>();
let nextFunctionId = 1;

/**
 * A key part for an option that may be a function: functions are compared by identity (pass a
 * stable function — module-level or memoised — or it will not be shared).
 */
export function canonicalOption(value: string | readonly string[] | ((...args: never[]) => unknown) | undefined): string {
  if (value === undefined) return 'u';
  if (typeof value === 'function') {
    let id = functionIds.get(value);
    if (id === undefined) {
      id = nextFunctionId++;
      functionIds.set(value, id);
    }
    return `fn#${id}`;
  }
  return canonicalValue(typeof value === 'string' ? [value] : [...value]);
}
