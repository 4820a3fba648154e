/**
 * The public codec factories of `@kalam/link/protocol`: they validate messages of both directions
 * (a server decodes client frames with them). The client core builds its codecs with only the
 * server → client validator instead.
 */
import type { Codec, Frame } from './codec.js';
import { assertEncodable } from './encodable.js';
import { decodeJsonWith, encodeJsonWith, jsonCodecWith } from './jsonCodec.js';
import type { Message } from './messages.js';
import { decodeMsgpackWith, encodeMsgpackWith, msgpackCodecWith, msgpackDecoder } from './msgpackCodec.js';
import { readWireMessage } from './validate.js';
import { DEFAULT_MAX_FRAME_BYTES } from './wire.js';

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
  return jsonCodecWith(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, readWireMessage, assertEncodable);
}

/**
 * Encode one message as JSON text.
 *
 * @throws KalamError code `PROTOCOL` when a SeqId field is not a `bigint` in 0..2^63−1
 */
export function encodeJson(message: Message): string {
  return encodeJsonWith(message, assertEncodable);
}

/**
 * Decode and validate one JSON frame (text, or UTF-8 bytes).
 *
 * @param maxFrameBytes - largest accepted frame in bytes (default {@link DEFAULT_MAX_FRAME_BYTES})
 * @throws KalamError code `PROTOCOL` for anything malformed or too large
 */
export function decodeJson(frame: Frame, maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES): Message {
  return decodeJsonWith(frame, maxFrameBytes, readWireMessage);
}

/**
 * Create the msgpack codec. `encode` returns a fresh `Uint8Array` (send it as a binary frame).
 * `decode` accepts binary msgpack, and also JSON text (a text frame is always JSON).
 *
 * @example
 * ```ts
 * const codec = createMsgpackCodec({ maxFrameBytes: SERVER_MAX_FRAME_BYTES });
 * const bytes = codec.encode({ type: 'ping' });
 * codec.decode(bytes); // { type: 'ping' }
 * ```
 */
export function createMsgpackCodec(options: CodecOptions = {}): Codec {
  return msgpackCodecWith(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, readWireMessage, assertEncodable);
}

/**
 * Encode one message as msgpack (named maps; bigint → uint64/int64).
 *
 * @throws KalamError code `PROTOCOL` when a SeqId is not a `bigint` in 0..2^63−1 or a bigint cell exceeds 64 bits
 */
export function encodeMsgpack(message: Message): Uint8Array {
  return encodeMsgpackWith(message, assertEncodable);
}

let defaultDecoder: ReturnType<typeof msgpackDecoder> | undefined;

/**
 * Decode and validate one msgpack frame.
 *
 * @param maxFrameBytes - largest accepted frame in bytes (default {@link DEFAULT_MAX_FRAME_BYTES})
 * @throws KalamError code `PROTOCOL` for anything malformed or too large
 */
export function decodeMsgpack(bytes: Uint8Array, maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES): Message {
  defaultDecoder ??= msgpackDecoder();
  return decodeMsgpackWith(defaultDecoder, bytes, maxFrameBytes, readWireMessage);
}
