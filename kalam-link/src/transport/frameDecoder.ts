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

/** What one inbound frame became. */
export type DecodedFrame =
  | { readonly ok: true; readonly message: Message; readonly bytes: number }
  | { readonly ok: false; readonly error: KalamError; readonly bytes: number };

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
  readonly #deliver: (frame: DecodedFrame) => void;
  readonly #inflate: Inflate | undefined;
  readonly #maxFrameBytes: number;

  constructor(codecs: Codecs, deliver: (frame: DecodedFrame) => void, inflate: Inflate | undefined = platformInflate(), maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.#codecs = codecs;
    this.#deliver = deliver;
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
    this.#deliver(this.#decodePlain(frame));
  }

  /** Drop queued frames and ignore later ones (socket gone). */
  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
  }

  #decodePlain(frame: string | Uint8Array): DecodedFrame {
    const bytes = typeof frame === 'string' ? frame.length : frame.byteLength;
    if (bytes > this.#maxFrameBytes) {
      return { ok: false, bytes, error: new KalamError('MESSAGE_TOO_LARGE', `inbound frame of ${bytes} bytes exceeds maxFrameBytes ${this.#maxFrameBytes}`) };
    }
    try {
      const codec = typeof frame === 'string' ? this.#codecs.json : this.#codecs.msgpack;
      return { ok: true, bytes, message: codec.decode(frame) };
    } catch (error) {
      return { ok: false, bytes, error: asProtocolError(error, 'undecodable frame') };
    }
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (!this.#stopped && this.#queue.length > 0) {
        const frame = this.#queue.shift() as string | Uint8Array;
        if (typeof frame !== 'string' && isGzip(frame)) {
          const decoded = await this.#decodeGzip(frame);
          if (!this.#stopped) this.#deliver(decoded);
        } else {
          this.#deliver(this.#decodePlain(frame));
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #decodeGzip(frame: Uint8Array): Promise<DecodedFrame> {
    const bytes = frame.byteLength;
    if (this.#inflate === undefined) {
      return { ok: false, bytes, error: new KalamError('PROTOCOL', 'gzip frame received but this platform has no DecompressionStream') };
    }
    try {
      const inflated = await this.#inflate(frame);
      if (inflated.byteLength > this.#maxFrameBytes) {
        return { ok: false, bytes, error: new KalamError('MESSAGE_TOO_LARGE', `inflated frame of ${inflated.byteLength} bytes exceeds maxFrameBytes`) };
      }
      // KalamDB gzips JSON error frames even in msgpack mode: a JSON object starts with '{'.
      const codec = this.serialization === 'json' || inflated[0] === 0x7b ? this.#codecs.json : this.#codecs.msgpack;
      return { ok: true, bytes, message: codec.decode(inflated) };
    } catch (error) {
      return { ok: false, bytes, error: asProtocolError(error, 'undecodable frame') };
    }
  }
}
