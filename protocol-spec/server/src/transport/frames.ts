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
  GZIP_THRESHOLD_BYTES,
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

/** Decode one inbound frame; throws `KalamError('PROTOCOL')`. */
export function decodeInbound(data: Buffer, isBinary: boolean, serialization: Serialization, maxFrameBytes: number): Message {
  const frame: Frame = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8');
  return decodeFrame(frame, serialization, {
    maxFrameBytes,
    inflate: (gz) => gunzipSync(gz, { maxOutputLength: maxFrameBytes + 1 }),
  });
}

/** The frame to put on the wire: gzip-wrapped (binary) when negotiated, large enough and smaller. */
export function outbound(frame: Frame, compression: Compression): Frame {
  if (compression !== 'gzip') return frame;
  const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
  if (size < GZIP_THRESHOLD_BYTES) return frame;
  const gz = gzipSync(frame, { level: zlibConstants.Z_BEST_SPEED });
  return gz.byteLength < size ? new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength) : frame;
}
