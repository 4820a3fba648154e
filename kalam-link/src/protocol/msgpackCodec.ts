/**
 * MessagePack codec (PROTOCOL.md §MessagePack encoding): binary frames holding named maps with
 * the JSON field names; 64-bit integers are int64/uint64 and `bigint` in JavaScript.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { KalamError } from '../errors.js';
import type { Codec, Frame } from './codec.js';
import { asProtocolError, decodeJsonWith, type ReadMessage } from './jsonCodec.js';
import type { Message } from './messages.js';
import { checkFrameSize, isGzip, type CheckMessage } from './wire.js';

// One encoder per process: encoding is synchronous, and @msgpack/msgpack clones itself on re-entry.
let sharedEncoder: Encoder | undefined;
function encoder(): Encoder {
  sharedEncoder ??= new Encoder({ useBigInt64: true });
  return sharedEncoder;
}

/**
 * @internal The msgpack codec with the given frame limit and validator. `decode` accepts binary
 * msgpack, and also JSON text (a text frame is always JSON).
 */
export function msgpackCodecWith(maxFrameBytes: number, read: ReadMessage, check: CheckMessage): Codec {
  // No container or string can hold more elements than the frame has bytes: refuse lying headers early.
  const decoder = msgpackDecoder(maxFrameBytes);
  return {
    serialization: 'msgpack',
    encode: (message) => encodeMsgpackWith(message, check),
    decode: (frame: Frame) => (typeof frame === 'string' ? decodeJsonWith(frame, maxFrameBytes, read) : decodeMsgpackWith(decoder, frame, maxFrameBytes, read)),
  };
}

/** @internal A decoder whose containers and strings may not hold more elements than `max`. */
export function msgpackDecoder(max?: number): Decoder {
  return new Decoder(max === undefined ? { useBigInt64: true } : { useBigInt64: true, maxStrLength: max, maxBinLength: max, maxArrayLength: max, maxMapLength: max, maxExtLength: max });
}

/** @internal Encode one message as msgpack (named maps; bigint → uint64/int64) after `check`. */
export function encodeMsgpackWith(message: Message, check: CheckMessage): Uint8Array {
  try {
    check(message, true);
    return encoder().encode(message);
  } catch (e) {
    throw asProtocolError(e, 'cannot encode message as msgpack');
  }
}

/** @internal Decode one msgpack frame and validate it with `read`. */
export function decodeMsgpackWith(decoder: Decoder, bytes: Uint8Array, maxFrameBytes: number, read: ReadMessage): Message {
  checkFrameSize(bytes, maxFrameBytes);
  if (isGzip(bytes)) throw new KalamError('PROTOCOL', 'gzip-compressed frame: inflate it before decoding');
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (e) {
    throw asProtocolError(e, 'invalid msgpack frame');
  }
  try {
    return read(value);
  } catch (e) {
    throw asProtocolError(e, 'invalid message');
  }
}
