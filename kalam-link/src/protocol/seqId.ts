/**
 * SeqId: a 64-bit snowflake (KalamDB layout), always a `bigint` in JavaScript.
 *
 * Layout: `(ms since 2024-01-01T00:00:00Z) << 22 | worker << 12 | sequence`.
 */
import { KalamError } from '../errors.js';

/**
 * A sequence id: an exact 64-bit unsigned integer. Never a `number`.
 *
 * @example
 * ```ts
 * const saved = localStorage.getItem('todos.lastSeq'); // formatSeqId(handle.lastSeqId)
 * const from: SeqId | undefined = saved === null ? undefined : parseSeqId(saved);
 * link.subscribe('SELECT * FROM app.todos', from === undefined ? {} : { from });
 * ```
 */
export type SeqId = bigint;

/** Snowflake epoch: 2024-01-01T00:00:00Z in ms since the Unix epoch. */
export const SEQ_EPOCH_MS = 1704067200000;
/** Largest SeqId (2^63 − 1; SeqIds are signed 64-bit in KalamDB and never negative). */
export const SEQ_MAX: SeqId = (1n << 63n) - 1n;
/** The zero SeqId ("before everything"). */
export const SEQ_ZERO: SeqId = 0n;

const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;

/** True when `value` is a valid SeqId (a bigint in [0, 2^63 − 1]). */
export function isSeqId(value: unknown): value is SeqId {
  return typeof value === 'bigint' && value >= 0n && value <= SEQ_MAX;
}

/**
 * Parse a SeqId from a bigint, a decimal string, or a safe integer `number`.
 *
 * @param value - a SeqId in any of its wire forms
 * @returns the SeqId as a `bigint`
 * @throws KalamError code `PROTOCOL` for anything else (negative, fractional, > 2^63 − 1, unsafe number)
 * @example
 * ```ts
 * parseSeqId('9223372036854775807'); // 9223372036854775807n, exact
 * parseSeqId(42);                    // 42n
 * parseSeqId(2 ** 60);               // throws KalamError('PROTOCOL'): not a safe integer
 * ```
 */
export function parseSeqId(value: unknown): SeqId {
  if (typeof value === 'bigint') {
    if (isSeqId(value)) return value;
  } else if (typeof value === 'string') {
    if (DECIMAL.test(value)) {
      const v = BigInt(value);
      if (v <= SEQ_MAX) return v;
    }
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  }
  throw new KalamError('PROTOCOL', `invalid SeqId: ${describe(value)}`);
}

/** Decimal string form of a SeqId (its JSON wire form). */
export function formatSeqId(seq: SeqId): string {
  return seq.toString(10);
}

/** Compare two SeqIds: negative, zero or positive. */
export function compareSeqId(a: SeqId, b: SeqId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The larger of two SeqIds. */
export function maxSeqId(a: SeqId, b: SeqId): SeqId {
  return a > b ? a : b;
}

/**
 * Milliseconds since the Unix epoch encoded in a SeqId.
 *
 * @example
 * ```ts
 * new Date(seqIdTimestampMs(event.seq)); // when the change was committed
 * ```
 */
export function seqIdTimestampMs(seq: SeqId): number {
  return Number(seq >> 22n) + SEQ_EPOCH_MS;
}

/** Worker id (0–1023) encoded in a SeqId. */
export function seqIdWorker(seq: SeqId): number {
  return Number((seq >> 12n) & 0x3ffn);
}

/** Per-millisecond sequence (0–4095) encoded in a SeqId. */
export function seqIdSequence(seq: SeqId): number {
  return Number(seq & 0xfffn);
}

/**
 * Build a SeqId from its parts.
 *
 * @param timestampMs - ms since the Unix epoch, not before 2024-01-01T00:00:00Z
 * @param worker - 0–1023
 * @param sequence - 0–4095
 * @throws KalamError code `INVALID_ARGUMENT` when a part is out of range
 */
export function makeSeqId(timestampMs: number, worker: number, sequence: number): SeqId {
  if (!Number.isSafeInteger(timestampMs) || timestampMs < SEQ_EPOCH_MS || timestampMs - SEQ_EPOCH_MS >= 2 ** 41) {
    throw new KalamError('INVALID_ARGUMENT', `timestamp outside the SeqId range: ${timestampMs}`);
  }
  if (!Number.isInteger(worker) || worker < 0 || worker > 1023) throw new KalamError('INVALID_ARGUMENT', `worker out of range: ${worker}`);
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 4095) throw new KalamError('INVALID_ARGUMENT', `sequence out of range: ${sequence}`);
  return (BigInt(timestampMs - SEQ_EPOCH_MS) << 22n) | (BigInt(worker) << 12n) | BigInt(sequence);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}
