/**
 * Server-side framing: inbound frames by the decoding rule (text = JSON, `1f 8b` = gzip, other
 * binary = msgpack), outbound gzip for frames ≥ 512 bytes when `gzip` was negotiated.
 */
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import {
  type Codec,
  type Compression,
  type Frame,
  type Message,
  type Serialization,
  createCodec,
  decodeFrame,
  decodePayload,
  GZIP_THRESHOLD_BYTES,
  isGzip,
  KalamError,
} from '@kalam/link/protocol';

/** One codec per serialization, with the server's inbound frame limit. */
export interface Codecs {
  readonly json: Codec;
  readonly msgpack: Codec;
}

/** Build the codecs. */
export function createCodecs(maxFrameBytes: number): Codecs {
  return { json: createCodec('json', { maxFrameBytes }), msgpack: createCodec('msgpack', { maxFrameBytes }) };
}

/**
 * Decode one inbound frame. Throws `KalamError` `PROTOCOL` (malformed) or `MESSAGE_TOO_LARGE`
 * (a gzip payload inflating past the frame limit, PROTOCOL.md §12).
 */
export function decodeInbound(data: Buffer, isBinary: boolean, serialization: Serialization, maxFrameBytes: number): Message {
  if (!isBinary) return decodeFrame(data.toString('utf8'), serialization, { maxFrameBytes });
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!isGzip(bytes)) return decodeFrame(bytes, serialization, { maxFrameBytes });
  let inflated: Buffer;
  try {
    inflated = gunzipSync(bytes, { maxOutputLength: maxFrameBytes });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new KalamError('MESSAGE_TOO_LARGE', `gzip payload inflates past the ${maxFrameBytes}-byte limit`);
    }
    throw new KalamError('PROTOCOL', `invalid gzip frame: ${e instanceof Error ? e.message : String(e)}`);
  }
  return decodePayload(new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength), serialization, { maxFrameBytes });
}

/** The frame to put on the wire: gzip-wrapped (binary) when negotiated, large enough and smaller. */
export function outbound(frame: Frame, compression: Compression): Frame {
  if (compression !== 'gzip') return frame;
  const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
  if (size < GZIP_THRESHOLD_BYTES) return frame;
  const gz = gzipSync(frame, { level: zlibConstants.Z_BEST_SPEED });
  return gz.byteLength < size ? new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength) : frame;
}
