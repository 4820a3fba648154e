import type { Message, Serialization } from './messages.js';

/** A WebSocket frame payload: binary (`Uint8Array`) or text (`string`). */
export type Frame = Uint8Array | string;

/**
 * A pure frame codec. `decode` validates: it returns a well-formed {@link Message} or throws a
 * `KalamError` with code `PROTOCOL` — never any other exception.
 */
export interface Codec {
  /** Which serialization this codec speaks. */
  readonly serialization: Serialization;
  /** Encode one message. msgpack → `Uint8Array` (binary frame); JSON → `string` (text frame). */
  encode(message: Message): Frame;
  /** Decode and validate one frame (either direction). */
  decode(frame: Frame): Message;
}
