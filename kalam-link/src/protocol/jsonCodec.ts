/**
 * JSON codec (PROTOCOL.md §JSON encoding): text frames; every `bigint` is written as a decimal
 * string and every `Uint8Array` as an array of byte numbers.
 */
import { asKalamError, KalamError } from '../errors.js';
import type { Codec, Frame } from './codec.js';
import type { Message } from './messages.js';
import { checkFrameSize, isGzip, type CheckMessage } from './wire.js';

/** Validates a decoded value as a message (`PROTOCOL` otherwise): both directions, or only what a client receives. */
export type ReadMessage = (value: unknown) => Message;

/** @internal The JSON codec with the given frame limit and validator. */
export function jsonCodecWith(maxFrameBytes: number, read: ReadMessage, check: CheckMessage): Codec {
  return { serialization: 'json', encode: (message) => encodeJsonWith(message, check), decode: (frame: Frame) => decodeJsonWith(frame, maxFrameBytes, read) };
}

/** @internal Encode one message as JSON text after `check`. */
export function encodeJsonWith(message: Message, check: CheckMessage): string {
  try {
    check(message, false);
    return JSON.stringify(message, replacer);
  } catch (e) {
    throw asProtocolError(e, 'cannot encode message as JSON');
  }
}

/** @internal Decode one JSON frame (text, or UTF-8 bytes) and validate it with `read`. */
export function decodeJsonWith(frame: Frame, maxFrameBytes: number, read: ReadMessage): Message {
  checkFrameSize(frame, maxFrameBytes);
  let text: string;
  if (typeof frame === 'string') text = frame;
  else {
    if (isGzip(frame)) throw new KalamError('PROTOCOL', 'gzip-compressed frame: inflate it before decoding');
    try {
      text = utf8Decoder().decode(frame);
    } catch (e) {
      throw new KalamError('PROTOCOL', 'invalid JSON frame: not valid UTF-8', { cause: e });
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(rescueUnsafeIntegers(text));
  } catch (e) {
    throw asKalamError(e, 'PROTOCOL', 'invalid JSON frame');
  }
  try {
    return read(value);
  } catch (e) {
    throw asProtocolError(e, 'invalid message');
  }
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString(10);
  if (typeof value === 'object' && value !== null) {
    // `value` is already `toJSON()`-ed (a Buffer would be {type, data}); look at the raw value.
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof Uint8Array) return Array.from(raw);
  }
  return value;
}

// Cheap test: an unquoted integer of 16+ digits right after a key may not survive JSON.parse.
const UNSAFE_HINT = /":\s*-?\d{16}/;
// Every string literal (so string contents are skipped), plus the integer literal following it when it is a key.
const KEY_AND_BIG_INT = /"((?:[^"\\]|\\.)*)"(\s*:\s*)(-?\d{16,})(?![\d.eE])|"(?:[^"\\]|\\.)*"/g;
const SEQ_KEYS: ReadonlySet<string> = new Set(['from', 'from_seq_id', 'last_seq_id', 'seq', 'prev_seq', '_seq']);

/**
 * KalamDB sends envelope SeqIds as JSON numbers (> 2^53). Quote the integer literals of SeqId
 * fields that are not safe integers, so they reach the validator exactly as decimal strings
 * instead of rounded numbers. Other numbers (e.g. DOUBLE cells) are left alone.
 */
function rescueUnsafeIntegers(text: string): string {
  if (!UNSAFE_HINT.test(text)) return text;
  return text.replace(KEY_AND_BIG_INT, (match: string, key?: string, colon?: string, digits?: string) =>
    digits !== undefined && key !== undefined && SEQ_KEYS.has(key) && !Number.isSafeInteger(Number(digits)) ? `"${key}"${colon ?? ':'}"${digits}"` : match,
  );
}

let decoder: TextDecoder | undefined;
function utf8Decoder(): TextDecoder {
  decoder ??= new TextDecoder('utf-8', { fatal: true });
  return decoder;
}

/** Any failure → `KalamError('PROTOCOL')`; a KalamError passes through unchanged. */
export function asProtocolError(e: unknown, context: string): KalamError {
  return asKalamError(e, 'PROTOCOL', context);
}
