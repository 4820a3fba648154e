/**
 * `@kalam/link/protocol` — the wire protocol v1: message types, codes, SeqId helpers, codecs.
 * Servers import only this subpath.
 *
 * @packageDocumentation
 */
export * from './messages.js';
export * from './codes.js';
export * from './seqId.js';
export type { Codec, Frame } from './codec.js';
export { KalamError } from '../errors.js';
export type { KalamErrorCode, KalamErrorOptions } from '../errors.js';
