/**
 * Column types: coercion of SQL literals and parameters to stored cell values, and comparison.
 */
import { KalamError, type CellValue, type KalamDataType } from '@kalam/link/protocol';

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const INT_RANGE: Partial<Record<string, readonly [number, number]>> = {
  Int: [-2147483648, 2147483647],
  SmallInt: [-32768, 32767],
};

function bad(column: string, type: KalamDataType, value: unknown): KalamError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value) : typeof value === 'bigint' ? `${value}` : typeof value === 'object' && value !== null ? 'object' : String(value);
  return new KalamError('INVALID_ARGUMENT', `column ${column}: ${shown} is not a valid ${typeName(type)}`);
}

/** Display name of a type. */
export function typeName(type: KalamDataType): string {
  return typeof type === 'string' ? type.toUpperCase() : JSON.stringify(type);
}

function integerOf(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return BigInt(value.trim());
  return undefined;
}

/** JSON column values: plain JSON (bigints become numbers when safe, else decimal strings). */
function toJsonValue(value: unknown, column: string): CellValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw bad(column, 'Json', value);
    return value;
  }
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v, column));
  if (typeof value === 'object') {
    const out: Record<string, CellValue> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v, column);
    return out;
  }
  throw bad(column, 'Json', value);
}

/** Coerce a literal/parameter to a column's stored representation; INVALID_ARGUMENT when it does not fit. */
export function coerce(value: unknown, type: KalamDataType, column: string): CellValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'Text':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'bigint') return String(value);
      throw bad(column, type, value);
    case 'Int':
    case 'SmallInt': {
      const i = integerOf(value);
      const [lo, hi] = INT_RANGE[type]!;
      if (i === undefined || i < BigInt(lo) || i > BigInt(hi)) throw bad(column, type, value);
      return Number(i);
    }
    case 'BigInt': {
      const i = integerOf(value);
      if (i === undefined || i < I64_MIN || i > I64_MAX) throw bad(column, type, value);
      if (typeof value === 'number' && !Number.isSafeInteger(value)) throw bad(column, type, value);
      return i;
    }
    case 'Double':
    case 'Float': {
      const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw bad(column, type, value);
      return type === 'Float' ? Math.fround(n) : n;
    }
    case 'Boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'TRUE' || value === 1 || value === 1n) return true;
      if (value === 'false' || value === 'FALSE' || value === 0 || value === 0n) return false;
      throw bad(column, type, value);
    case 'Timestamp': {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
      if (typeof value === 'string') {
        const t = value.trim();
        if (/^[+-]?\d+$/.test(t)) return coerce(BigInt(t), type, column);
        const ms = Date.parse(t);
        if (Number.isFinite(ms)) return ms * 1000;
      }
      if (value instanceof Date && Number.isFinite(value.getTime())) return value.getTime() * 1000;
      throw bad(column, type, value);
    }
    case 'Json':
      if (typeof value === 'string') {
        try {
          return toJsonValue(JSON.parse(value) as unknown, column);
        } catch {
          return value;
        }
      }
      return toJsonValue(value, column);
    default:
      throw new KalamError('UNSUPPORTED', `column ${column}: type ${typeName(type)} is not supported`);
  }
}

/** Total order of two non-null cells of the same column type (mixed bigint/number allowed). */
export function compareCells(a: CellValue, b: CellValue): number {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  const sa = stableJson(a);
  const sb = stableJson(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function stableJson(v: CellValue): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? '';
}

/** SQL LIKE pattern (`%`, `_`, backslash escapes) → RegExp. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    else re += escapeRe(ch);
  }
  return new RegExp(`${re}$`, caseInsensitive ? 'iu' : 'u');
}

function escapeRe(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
