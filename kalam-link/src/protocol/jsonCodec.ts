/**
 * JSON codec (PROTOCOL.md §JSON encoding): text frames; every `bigint` is written as a decimal
 * string and every `Uint8Array` as an array of byte numbers.
 */
import { KalamError } from '../errors.js';
import type { Codec, Frame } from './codec.js';
import type { Message } from './messages.js';
import { readWireMessage } from './validate.js';
import { assertEncodable, checkFrameSize, DEFAULT_MAX_FRAME_BYTES, isGzip } from './wire.js';

/** Options of the codec factories. */
export interface CodecOptions {
  /**
   * Largest inbound frame `decode` accepts, in bytes (UTF-8 bytes for text). Larger frames throw
   * `KalamError('PROTOCOL')`. Servers use {@link SERVER_MAX_FRAME_BYTES}.
   * @default 67108864 (64 MiB)
   */
  readonly maxFrameBytes?: number;
}

/**
 * Create the JSON codec. `encode` returns a string (send it as a text frame). `decode` accepts a
 * string, or UTF-8 bytes holding JSON text; envelope SeqId fields and row `_seq` come back as
 * `bigint`, other 64-bit cells stay decimal strings (clients convert them by schema).
 *
 * @example
 * ```ts
 * const codec = createJsonCodec();
 * codec.encode({ type: 'next_batch', subscription_id: 's1', last_seq_id: 42n });
 * // '{"type":"next_batch","subscription_id":"s1","last_seq_id":"42"}'
 * ```
 */
export function createJsonCodec(options: CodecOptions = {}): Codec {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  return {
    serialization: 'json',
    encode: encodeJson,
    decode: (frame: Frame) => decodeJson(frame, maxFrameBytes),
  };
}

/**
 * Encode one message as JSON text.
 *
 * @throws KalamError code `PROTOCOL` when a SeqId field is not a `bigint` in 0..2^63−1
 */
export function encodeJson(message: Message): string {
  try {
    assertEncodable(message, false);
    return JSON.stringify(message, replacer);
  } catch (e) {
    throw asProtocolError(e, 'cannot encode message as JSON');
  }
}

/**
 * Decode and validate one JSON frame (text, or UTF-8 bytes).
 *
 * @param maxFrameBytes - largest accepted frame in bytes (default {@link DEFAULT_MAX_FRAME_BYTES})
 * @throws KalamError code `PROTOCOL` for anything malformed or too large
 */
export function decodeJson(frame: Frame, maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES): Message {
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
    throw new KalamError('PROTOCOL', `invalid JSON frame: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    return readWireMessage(value);
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
  if (e instanceof KalamError) return e;
  return new KalamError('PROTOCOL', `${context}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
