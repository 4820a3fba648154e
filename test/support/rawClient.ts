/**
 * A raw protocol client over `ws` for bad-input tests: it sends whatever bytes it is told to and
 * decodes server frames by the frame decoding rule on its own (independent of kalam-link's codecs,
 * so a codec bug cannot hide a server bug).
 */
import { gunzipSync } from 'node:zlib';
import { decode, encode } from '@msgpack/msgpack';
import { WebSocket } from 'ws';

/** A decoded server frame. `type` is whatever the server put there. */
export type ServerFrame = { readonly type?: unknown; readonly [key: string]: unknown };

/** How a socket ended. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** Encode a value as msgpack with 64-bit integers as bigint (as the protocol requires). */
export function msgpack(value: unknown): Uint8Array {
  return encode(value, { useBigInt64: true });
}

/** Decode one server frame (text = JSON; binary `1f 8b` = gzip; other binary = msgpack). Throws on garbage. */
export function decodeServerFrame(data: Buffer, isBinary: boolean, serialization: 'json' | 'msgpack'): ServerFrame {
  if (!isBinary) return JSON.parse(data.toString('utf8')) as ServerFrame;
  let bytes: Uint8Array = data;
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
    bytes = gunzipSync(data);
    if (serialization === 'json') return JSON.parse(Buffer.from(bytes).toString('utf8')) as ServerFrame;
  }
  return decode(bytes, { useBigInt64: true }) as ServerFrame;
}

/** Options of {@link openRaw}. */
export interface RawOptions {
  /** When set, authenticate with this JWT as the first frame (JSON text) and wait for the reply. */
  readonly token?: string;
  /** Serialization to negotiate. @default 'json' */
  readonly serialization?: 'json' | 'msgpack';
  /** Time to wait for the open and the auth reply. @default 5000 */
  readonly timeoutMs?: number;
}

/** A raw socket with its decoded inbound frames. */
export class RawClient {
  /** Every decoded frame, in arrival order. */
  readonly frames: ServerFrame[] = [];
  /** Frames that could not be decoded (a server bug). */
  readonly undecodable: Buffer[] = [];
  /** Set when the socket closed. */
  closeInfo: CloseInfo | undefined;
  readonly closed: Promise<CloseInfo>;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly ws: WebSocket,
    readonly serialization: 'json' | 'msgpack',
  ) {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        this.frames.push(decodeServerFrame(data, isBinary, this.serialization));
      } catch {
        this.undecodable.push(data);
      }
      this.notify();
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.notify();
        resolve(this.closeInfo);
      });
    });
  }

  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a message encoded in this socket's serialization (JSON text or msgpack binary). */
  send(message: unknown): void {
    if (this.serialization === 'msgpack') this.ws.send(msgpack(message), { binary: true });
    else this.ws.send(JSON.stringify(message, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  }

  /** Send raw bytes (binary frame) or a string (text frame). */
  sendRaw(data: Uint8Array | string): void {
    if (typeof data === 'string') this.ws.send(data);
    else this.ws.send(data, { binary: true });
  }

  /** Wait until a frame after index `from` matches (or the socket closes, or the timeout passes). */
  async waitFor(predicate: (frame: ServerFrame) => boolean, timeoutMs = 5000, from = 0): Promise<ServerFrame> {
    const started = Date.now();
    for (;;) {
      const found = this.frames.slice(from).find(predicate);
      if (found) return found;
      if (this.closeInfo) throw new Error(`socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting; frames: ${describe(this.frames.slice(-5))}`);
      const left = timeoutMs - (Date.now() - started);
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms; last frames: ${describe(this.frames.slice(-5))}`);
      await this.changed(left);
    }
  }

  /** Resolve on the next inbound frame or close, or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.listeners.add(done);
    });
  }

  /** Terminate the socket and wait for the close. */
  async terminate(): Promise<void> {
    if (!this.closeInfo) this.ws.terminate();
    await this.closed;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Open a raw socket to `<baseUrl>/v1/ws`, optionally authenticating first. */
export async function openRaw(baseUrl: string, options: RawOptions = {}): Promise<RawClient> {
  const serialization = options.serialization ?? 'json';
  const timeoutMs = options.timeoutMs ?? 5000;
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/ws`);
  const client = new RawClient(ws, serialization);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('open timed out')), timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once('close', (code: number) => {
      clearTimeout(timer);
      reject(new Error(`closed before open: ${code}`));
    });
  });
  if (options.token !== undefined) {
    ws.send(JSON.stringify({ type: 'authenticate', method: 'jwt', token: options.token, protocol: { serialization, compression: 'none' } }));
    const reply = await client.waitFor((f) => f.type === 'auth_success' || f.type === 'auth_error', timeoutMs);
    if (reply.type !== 'auth_success') throw new Error(`authentication failed: ${describe([reply])}`);
  }
  return client;
}

/** Short printable form of frames for error messages. */
export function describe(frames: readonly unknown[]): string {
  return JSON.stringify(frames, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 1500);
}
