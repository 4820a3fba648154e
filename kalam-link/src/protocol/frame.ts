/**
 * Codec selection and the frame decoding rule (PROTOCOL.md §Frame decoding rule):
 * a text frame is JSON; a binary frame starting `1f 8b` is gzip (inflate, then decode the
 * negotiated serialization); any other binary frame is msgpack.
 */
import { KalamError } from '../errors.js';
import type { Codec, Frame } from './codec.js';
import { type CodecOptions, createJsonCodec, createMsgpackCodec, decodeJson, decodeMsgpack } from './codecs.js';
import type { Message, Serialization } from './messages.js';
import { DEFAULT_MAX_FRAME_BYTES, isGzip } from './wire.js';

/**
 * The codec for a negotiated serialization.
 *
 * @param serialization - `msgpack` (binary frames) or `json` (text frames)
 * @param options - `maxFrameBytes` for `decode`
 * @throws KalamError code `INVALID_ARGUMENT` for an unknown serialization
 * @example
 * ```ts
 * const codec = createCodec('msgpack', { maxFrameBytes: SERVER_MAX_FRAME_BYTES });
 * const frame = codec.encode({ type: 'ping' }); // Uint8Array
 * codec.decode(frame);                          // { type: 'ping' }
 * ```
 */
export function createCodec(serialization: Serialization, options: CodecOptions = {}): Codec {
  switch (serialization) {
    case 'msgpack':
      return createMsgpackCodec(options);
    case 'json':
      return createJsonCodec(options);
    default:
      throw new KalamError('INVALID_ARGUMENT', `unknown serialization: ${String(serialization)}`);
  }
}

/** Options of {@link decodeFrame}. */
export interface DecodeFrameOptions extends CodecOptions {
  /**
   * Synchronous gzip inflater for compressed server frames (e.g. `zlib.gunzipSync` in Node).
   * kalam-link uses no Node API, so without it a gzip frame throws `PROTOCOL`; callers with
   * only an async inflater (`DecompressionStream`) test {@link isGzip}, inflate, then call
   * {@link decodePayload}. The inflated size is checked against `maxFrameBytes`.
   */
  readonly inflate?: (gzipped: Uint8Array) => Uint8Array;
}

/**
 * Decode one WebSocket frame by the frame decoding rule.
 *
 * @param frame - a text frame (`string`) or a binary frame (`Uint8Array` / `ArrayBuffer`)
 * @param serialization - the negotiated serialization (decides how a gzip payload is read)
 * @param options - `maxFrameBytes` and an optional synchronous `inflate`
 * @returns the validated message
 * @throws KalamError code `PROTOCOL` for anything malformed or too large
 * @example
 * ```ts
 * import { gunzipSync } from 'node:zlib';
 * ws.on('message', (data, isBinary) => {
 *   const frame = isBinary ? new Uint8Array(data as Buffer) : data.toString();
 *   const message = decodeFrame(frame, 'msgpack', { inflate: (b) => gunzipSync(b) });
 * });
 * ```
 */
export function decodeFrame(frame: Frame | ArrayBuffer, serialization: Serialization, options: DecodeFrameOptions = {}): Message {
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (typeof frame === 'string') return decodeJson(frame, max);
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (!isGzip(bytes)) return decodeMsgpack(bytes, max);
  if (!options.inflate) throw new KalamError('PROTOCOL', 'gzip-compressed frame and no inflater: inflate it, then call decodePayload');
  let inflated: Uint8Array;
  try {
    inflated = options.inflate(bytes);
  } catch (e) {
    throw new KalamError('PROTOCOL', `invalid gzip frame: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return decodePayload(inflated, serialization, options);
}

/**
 * Decode an already inflated gzip payload, which is in the negotiated serialization.
 *
 * @throws KalamError code `PROTOCOL` for anything malformed or too large
 */
export function decodePayload(payload: Uint8Array, serialization: Serialization, options: CodecOptions = {}): Message {
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  return serialization === 'json' ? decodeJson(payload, max) : decodeMsgpack(payload, max);
}
