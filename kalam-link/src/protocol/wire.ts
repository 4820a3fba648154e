/**
 * Frame-level helpers shared by the codecs: size limits, gzip detection, encode-time checks.
 */
import { KalamError } from '../errors.js';
import type { Frame } from './codec.js';
import type { CellValue, Message, Row } from './messages.js';
import { isSeqId } from './seqId.js';

/** Default maximum inbound frame size of a client: 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Maximum inbound frame size of a server (PROTOCOL.md §Limits): 1 MiB. */
export const SERVER_MAX_FRAME_BYTES = 1024 * 1024;
/** Server frames at least this large may be gzip-wrapped when `gzip` was negotiated. */
export const GZIP_THRESHOLD_BYTES = 512;

const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

/** True when `v` fits int64 or uint64 (what a msgpack integer can hold). */
export function fits64Bits(v: bigint): boolean {
  return v >= INT64_MIN && v <= UINT64_MAX;
}

/**
 * True when `bytes` starts with the gzip magic `1f 8b` (PROTOCOL.md §Frame decoding rule).
 * A msgpack map never starts with `1f`, so the test is unambiguous.
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Exact UTF-8 byte length of a string. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // 4 bytes for 2 UTF-16 units
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/** Throws `PROTOCOL` when a frame is larger than `maxBytes` (UTF-8 bytes for text). */
export function checkFrameSize(frame: Frame, maxBytes: number): void {
  if (typeof frame === 'string') {
    // UTF-8 needs at least one byte and at most three per UTF-16 unit: count exactly only in between.
    if (frame.length * 3 <= maxBytes) return;
    if (frame.length > maxBytes) tooLarge(frame.length, maxBytes, 'at least ');
    const n = utf8Length(frame);
    if (n > maxBytes) tooLarge(n, maxBytes, '');
  } else if (frame.byteLength > maxBytes) {
    tooLarge(frame.byteLength, maxBytes, '');
  }
}

function tooLarge(size: number, max: number, qualifier: string): never {
  throw new KalamError('PROTOCOL', `frame too large: ${qualifier}${size} bytes > maximum ${max} bytes`);
}

/** An encode-time check of one message (throws `PROTOCOL`); `checkCells`: bigint cells must fit 64 bits (msgpack). */
export type CheckMessage = (message: Message, checkCells: boolean) => void;

/**
 * Encode-time checks of the client → server messages that the wire formats cannot express: every
 * envelope SeqId must be a `bigint` in 0..2^63−1, and (msgpack only, where 2^64 would silently
 * wrap to 0) every bigint cell must fit int64/uint64. `encodable.ts` adds the server messages.
 */
export function checkClientMessage(message: Message, checkCells: boolean): void {
  if (message.type === 'subscribe') {
    const from = message.subscription.options?.from;
    if (from !== undefined) seq(from, 'subscribe.subscription.options.from');
    if (checkCells && message.subscription.params) cells(message.subscription.params, 'subscribe.subscription.params');
  } else if (message.type === 'next_batch' && message.last_seq_id != null) {
    seq(message.last_seq_id, 'next_batch.last_seq_id');
  }
}

/** `PROTOCOL` unless `value` is a SeqId. */
export function seq(value: unknown, path: string): void {
  if (!isSeqId(value)) {
    throw new KalamError('PROTOCOL', `cannot encode ${path}: a SeqId must be a bigint in 0..2^63-1, got ${typeof value} ${String(value)}`);
  }
}

/** `PROTOCOL` unless every bigint cell of `rows` fits 64 bits. */
export function rowCells(rows: readonly Row[], path: string): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row === undefined) continue;
    for (const key in row) {
      if (!cellFits(row[key])) throw new KalamError('PROTOCOL', `cannot encode ${path}[${i}].${key}: integer outside the 64-bit range`);
    }
  }
}

function cells(values: readonly CellValue[], path: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!cellFits(values[i])) throw new KalamError('PROTOCOL', `cannot encode ${path}[${i}]: integer outside the 64-bit range`);
  }
}

function cellFits(v: unknown): boolean {
  if (typeof v === 'bigint') return fits64Bits(v);
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!cellFits(v[i])) return false;
    return true;
  }
  const o = v as Record<string, unknown>;
  for (const key in o) if (!cellFits(o[key])) return false;
  return true;
}
