/**
 * MessagePack codec (PROTOCOL.md §MessagePack encoding): binary frames holding named maps with
 * the JSON field names; 64-bit integers are int64/uint64 and `bigint` in JavaScript.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { KalamError } from '../errors.js';
import type { Codec, Frame } from './codec.js';
import type { CodecOptions } from './jsonCodec.js';
import { asProtocolError, decodeJson } from './jsonCodec.js';
import type { Message } from './messages.js';
import { readWireMessage } from './validate.js';
import { assertEncodable, checkFrameSize, DEFAULT_MAX_FRAME_BYTES, isGzip } from './wire.js';

// One encoder per process: encoding is synchronous, and @msgpack/msgpack clones itself on re-entry.
let sharedEncoder: Encoder | undefined;
function encoder(): Encoder {
  sharedEncoder ??= new Encoder({ useBigInt64: true });
  return sharedEncoder;
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
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  // No container or string can hold more elements than the frame has bytes: refuse lying headers early.
  const decoder = new Decoder({
    useBigInt64: true,
    maxStrLength: maxFrameBytes,
    maxBinLength: maxFrameBytes,
    maxArrayLength: maxFrameBytes,
    maxMapLength: maxFrameBytes,
    maxExtLength: maxFrameBytes,
  });
  return {
    serialization: 'msgpack',
    encode: encodeMsgpack,
    decode: (frame: Frame) => (typeof frame === 'string' ? decodeJson(frame, maxFrameBytes) : decodeMsgpackWith(decoder, frame, maxFrameBytes)),
  };
}

/**
 * Encode one message as msgpack (named maps; bigint → uint64/int64).
 *
 * @throws KalamError code `PROTOCOL` when a SeqId is not a `bigint` in 0..2^63−1 or a bigint cell exceeds 64 bits
 */
export function encodeMsgpack(message: Message): Uint8Array {
  try {
    assertEncodable(message, true);
    return encoder().encode(message);
  } catch (e) {
    throw asProtocolError(e, 'cannot encode message as msgpack');
  }
}

let defaultDecoder: Decoder | undefined;

/**
 * Decode and validate one msgpack frame.
 *
 * @param maxFrameBytes - largest accepted frame in bytes (default {@link DEFAULT_MAX_FRAME_BYTES})
 * @throws KalamError code `PROTOCOL` for anything malformed or too large
 */
export function decodeMsgpack(bytes: Uint8Array, maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES): Message {
  defaultDecoder ??= new Decoder({ useBigInt64: true });
  return decodeMsgpackWith(defaultDecoder, bytes, maxFrameBytes);
}

function decodeMsgpackWith(decoder: Decoder, bytes: Uint8Array, maxFrameBytes: number): Message {
  checkFrameSize(bytes, maxFrameBytes);
  if (isGzip(bytes)) throw new KalamError('PROTOCOL', 'gzip-compressed frame: inflate it before decoding');
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (e) {
    throw new KalamError('PROTOCOL', `invalid msgpack frame: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    return readWireMessage(value);
  } catch (e) {
    throw asProtocolError(e, 'invalid message');
  }
}
