import { KalamError } from '../errors.js';
import type { Codec } from '../protocol/codec.js';
import type { Message, Serialization } from '../protocol/messages.js';
import { asProtocolError } from '../protocol/jsonCodec.js';
import { DEFAULT_MAX_FRAME_BYTES, isGzip } from '../protocol/wire.js';

/** Codecs by serialization. */
export interface Codecs {
  readonly json: Codec;
  readonly msgpack: Codec;
}

/** Where decoded frames go: `message` per decoded frame (with its size), `error` per frame that could not be decoded. */
export interface FrameSink {
  message(message: Message, bytes: number): void;
  error(error: KalamError): void;
}

type Inflate = (bytes: Uint8Array) => Promise<Uint8Array>;

/** gzip inflate with the platform's `DecompressionStream`, or undefined when there is none. */
export function platformInflate(): Inflate | undefined {
  if (typeof DecompressionStream !== 'function' || typeof Response !== 'function' || typeof Blob !== 'function') return undefined;
  return async (bytes) => {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  };
}

/**
 * Decodes inbound frames in arrival order (PROTOCOL.md decoding rule: text → JSON, gzip binary →
 * inflate then the negotiated serialization, other binary → msgpack). Plain frames are decoded
 * synchronously; once a gzip frame is being inflated, later frames queue behind it so order holds.
 */
export class FrameDecoder {
  readonly #queue: (string | Uint8Array)[] = [];
  #draining = false;
  #stopped = false;
  /** Serialization negotiated in `auth_success` (for gzip payloads). */
  serialization: Serialization = 'json';

  readonly #codecs: Codecs;
  readonly #sink: FrameSink;
  readonly #inflate: Inflate | undefined;
  readonly #maxFrameBytes: number;

  constructor(codecs: Codecs, sink: FrameSink, inflate: Inflate | undefined = platformInflate(), maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.#codecs = codecs;
    this.#sink = sink;
    this.#inflate = inflate;
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Feed one frame (string = text frame, bytes = binary frame). */
  push(frame: string | Uint8Array): void {
    if (this.#stopped) return;
    if (this.#draining || (typeof frame !== 'string' && isGzip(frame))) {
      this.#queue.push(frame);
      if (!this.#draining) void this.#drain();
      return;
    }
    this.#decodePlain(frame);
  }

  /** Drop queued frames and ignore later ones (socket gone). */
  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
  }

  /** Decode and hand over one plain frame (no result object per frame: this runs once per inbound message). */
  #decodePlain(frame: string | Uint8Array): void {
    const bytes = typeof frame === 'string' ? frame.length : frame.byteLength;
    if (bytes > this.#maxFrameBytes) {
      this.#sink.error(new KalamError('MESSAGE_TOO_LARGE', `inbound frame of ${bytes} bytes exceeds maxFrameBytes ${this.#maxFrameBytes}`));
      return;
    }
    let message: Message;
    try {
      message = (typeof frame === 'string' ? this.#codecs.json : this.#codecs.msgpack).decode(frame);
    } catch (error) {
      this.#sink.error(asProtocolError(error, 'undecodable frame'));
      return;
    }
    this.#sink.message(message, bytes);
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (!this.#stopped && this.#queue.length > 0) {
        const frame = this.#queue.shift() as string | Uint8Array;
        if (typeof frame !== 'string' && isGzip(frame)) {
          const decoded = await this.#decodeGzip(frame);
          if (this.#stopped) continue;
          if (decoded instanceof KalamError) this.#sink.error(decoded);
          else this.#sink.message(decoded, frame.byteLength);
        } else {
          this.#decodePlain(frame);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** The inflated frame's message, or the error that stopped it. */
  async #decodeGzip(frame: Uint8Array): Promise<Message | KalamError> {
    if (this.#inflate === undefined) return new KalamError('PROTOCOL', 'gzip frame received but this platform has no DecompressionStream');
    try {
      const inflated = await this.#inflate(frame);
      if (inflated.byteLength > this.#maxFrameBytes) {
        return new KalamError('MESSAGE_TOO_LARGE', `inflated frame of ${inflated.byteLength} bytes exceeds maxFrameBytes`);
      }
      // KalamDB gzips JSON error frames even in msgpack mode: a JSON object starts with '{'.
      const codec = this.serialization === 'json' || inflated[0] === 0x7b ? this.#codecs.json : this.#codecs.msgpack;
      return codec.decode(inflated);
    } catch (error) {
      return asProtocolError(error, 'undecodable frame');
    }
  }
}
