/**
 * Field readers used by `validate.ts`: each reads one field, checks its type and throws
 * `KalamError('PROTOCOL')` naming the field path when it is wrong.
 */
import { KalamError } from '../errors.js';
import type { CellValue } from './messages.js';
import { parseSeqId, SEQ_MAX, type SeqId } from './seqId.js';
import { fits64Bits } from './wire.js';

/** A decoded map. */
export type Obj = Record<string, unknown>;

const MAX_CELL_DEPTH = 64;

/** Cells: null, boolean, number, string, 64-bit bigint, Uint8Array, arrays and plain maps of cells. */
export function isCell(v: unknown, depth: number): v is CellValue {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'number':
      return true;
    case 'bigint':
      return fits64Bits(v);
    case 'object': {
      if (v === null || v instanceof Uint8Array) return true;
      if (depth >= MAX_CELL_DEPTH) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!isCell(v[i], depth + 1)) return false;
        return true;
      }
      if (!isPlainObject(v)) return false;
      for (const key in v) if (!isCell(v[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

export function object(value: unknown, p: string): Obj {
  if (!isPlainObject(value)) fail(p, 'an object', value);
  return value;
}

export function isPlainObject(value: unknown): value is Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function str(o: Obj, key: string, p: string): string {
  const v = o[key];
  if (typeof v !== 'string') fail(`${p}.${key}`, 'a string', v);
  return v;
}

export function optStr(o: Obj, key: string, p: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(`${p}.${key}`, 'a string', v);
  return v;
}

export function nonBlank(o: Obj, key: string, p: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '') fail(`${p}.${key}`, 'a non-blank string', v);
  return v;
}

export function bool(o: Obj, key: string, p: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') fail(`${p}.${key}`, 'a boolean', v);
  return v;
}

export function oneOf(o: Obj, key: string, p: string, allowed: ReadonlySet<string>): string {
  const v = o[key];
  if (typeof v !== 'string' || !allowed.has(v)) fail(`${p}.${key}`, `one of ${[...allowed].map((a) => `"${a}"`).join(', ')}`, v);
  return v;
}

export function int(o: Obj, key: string, p: string, min: number, wire: boolean): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) return v;
  if (wire && typeof v === 'bigint' && v >= BigInt(min) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return fail(`${p}.${key}`, `an integer >= ${min}`, v);
}

export function optInt(o: Obj, key: string, p: string, min: number, wire: boolean): number | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : int(o, key, p, min, wire);
}

/** An optional SeqId field: `undefined` when absent, `null` when explicitly null. */
export function optSeq(o: Obj, key: string, p: string, wire: boolean): SeqId | null | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v === 'bigint' && v >= 0n && v <= SEQ_MAX) return v;
  if (!wire) fail(`${p}.${key}`, 'a SeqId (bigint 0..2^63-1)', v);
  return seqValue(v, `${p}.${key}`);
}

export function seqValue(v: unknown, p: string): SeqId {
  try {
    return parseSeqId(v);
  } catch {
    return fail(p, 'a SeqId (0..2^63-1 as bigint, decimal string or safe integer)', v);
  }
}

export function fail(path: string, expected: string, got: unknown): never {
  throw new KalamError('PROTOCOL', `${path}: expected ${expected}, got ${describeValue(got)}`);
}

export function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** A short, safe description of a bad value (never the whole value: it may be huge or secret). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string': return `string ${JSON.stringify(clip(v))}`;
    case 'bigint': return `bigint ${v}`;
    case 'number':
    case 'boolean': return `${typeof v} ${String(v)}`;
    case 'object':
      if (Array.isArray(v)) return `array(${v.length})`;
      if (v instanceof Uint8Array) return `bytes(${v.length})`;
      return isPlainObject(v) ? 'object' : `${Object.prototype.toString.call(v)}`;
    default: return typeof v;
  }
}

