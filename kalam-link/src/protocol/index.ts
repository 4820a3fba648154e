/**
 * `@kalam/link/protocol` — the wire protocol v1: message types, codes, SeqId helpers, codecs and
 * validators for both directions. Servers import only this subpath; clients need none of it
 * beyond what `@kalam/link` re-exports.
 *
 * @packageDocumentation
 */
export * from './messages.js';
export * from './codes.js';
export * from './seqId.js';
export type { Codec, Frame } from './codec.js';
export { validateMessage, validateClientMessage, validateServerMessage, isClientMessage, isServerMessage } from './validate.js';
export type { ValidateOptions } from './validate.js';
export { createJsonCodec, encodeJson, decodeJson, createMsgpackCodec, encodeMsgpack, decodeMsgpack } from './codecs.js';
export type { CodecOptions } from './codecs.js';
export { createCodec, decodeFrame, decodePayload } from './frame.js';
export type { DecodeFrameOptions } from './frame.js';
export { isGzip, DEFAULT_MAX_FRAME_BYTES, SERVER_MAX_FRAME_BYTES, GZIP_THRESHOLD_BYTES } from './wire.js';
export { KalamError } from '../errors.js';
export type { KalamErrorCode, KalamErrorOptions } from '../errors.js';
