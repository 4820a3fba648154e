/**
 * The outbound side of one session: messages in the negotiated serialization and compression,
 * changes as prebuilt WebSocket frames, and the outbound bound — a frame that would overflow it
 * closes the connection with 4006 instead of being buffered.
 */
import { type Codec, CloseCode, type Compression, type Frame, type ServerMessage } from '@kalam/link/protocol';
import { frameBinary, spliceChange, spliceChangeFramed, type EncodedChange, type WireSeq } from '../live/encode.js';
import { outbound } from './frames.js';

/** What a session needs from its socket. */
export interface SessionTransport {
  readonly remoteAddress: string;
  /** Bytes queued but not yet written to the network (frames corked in this tick included). */
  readonly bufferedAmount: number;
  send(frame: Frame): void;
  /**
   * Send a complete binary WebSocket frame (header included, as {@link spliceChangeFramed} builds
   * it) with one write. Optional: without it changes go through {@link send}.
   */
  sendFramed?(frame: Buffer): void;
  /** Write out frames corked in this tick now, so {@link bufferedAmount} counts only what the peer has not taken. */
  flush?(): void;
  close(code: number, reason: string): void;
}

/** The session an {@link Outbound} writes for. */
export interface OutboundOwner {
  /** True once the connection is closed: nothing more is sent. */
  readonly closed: boolean;
  /** End the connection (encode failure, outbound bound exceeded). */
  close(code: number, reason: string): void;
}

/** Binary frames up to this size are sent as one prebuilt WebSocket frame (a copy); larger ones go through `ws`. */
const COPY_FRAMED_MAX_BYTES = 4096;

/** One session's sending: set {@link codec} and {@link compression} once they are negotiated. */
export class Outbound {
  /** The negotiated serialization's codec (JSON until `auth_success`). */
  codec: Codec;
  compression: Compression = 'none';

  constructor(
    private readonly transport: SessionTransport,
    private readonly maxOutboundBytes: number,
    codec: Codec,
    private readonly owner: OutboundOwner,
    private readonly log: (line: string) => void,
  ) {
    this.codec = codec;
  }

  /** Send a message in the negotiated serialization. */
  send(message: ServerMessage): void {
    if (this.owner.closed) return;
    let frame: Frame;
    try {
      frame = this.codec.encode(message);
    } catch (e) {
      this.log(`cannot encode ${message.type}: ${e instanceof Error ? e.message : String(e)}`);
      this.owner.close(CloseCode.INTERNAL_ERROR, 'encode failure');
      return;
    }
    this.sendFrame(frame);
  }

  /**
   * Send pre-encoded bytes; closes with 4006 instead when the outbound buffer would exceed its
   * bound (one frame always fits into an empty buffer, so a large snapshot batch is never refused).
   */
  sendFrame(frame: Frame): void {
    if (this.owner.closed) return;
    const wire = outbound(frame, this.compression);
    if (typeof wire !== 'string' && wire.byteLength <= COPY_FRAMED_MAX_BYTES && this.transport.sendFramed !== undefined) {
      // a small binary frame (an ack, a short batch) costs less copied behind its header than through ws's Sender
      const framed = frameBinary(wire);
      if (this.#fits(framed.length)) this.transport.sendFramed(framed);
    } else if (this.#fits(typeof wire === 'string' ? wire.length : wire.byteLength)) this.transport.send(wire);
  }

  /** One subscriber's splice of a shared change: uncompressed msgpack leaves as one prebuilt WebSocket frame. */
  sendChange(encoded: EncodedChange, id: string, prevSeq: WireSeq | undefined): void {
    if (this.owner.closed) return;
    const framed = this.transport.sendFramed !== undefined && this.compression === 'none' ? spliceChangeFramed(encoded, id, prevSeq) : undefined;
    if (framed === undefined) this.sendFrame(spliceChange(encoded, id, prevSeq));
    else if (this.#fits(framed.length)) this.transport.sendFramed!(framed);
  }

  /** auth_success / auth_error: always JSON text, whatever was negotiated. */
  sendJson(message: ServerMessage, json: Codec): void {
    if (this.owner.closed) return;
    this.transport.send(json.encode(message));
  }

  /** False (and the connection closed with 4006) when `size` more bytes would overflow the outbound bound. */
  #fits(size: number): boolean {
    const max = this.maxOutboundBytes;
    let buffered = this.transport.bufferedAmount;
    if (buffered > 0 && buffered + size > max) {
      // corked frames of this tick count only once the socket could not take them
      this.transport.flush?.();
      buffered = this.transport.bufferedAmount;
      if (buffered > 0 && buffered + size > max) {
        this.owner.close(CloseCode.SLOW_CONSUMER, 'outbound buffer full');
        return false;
      }
    }
    return true;
  }
}
