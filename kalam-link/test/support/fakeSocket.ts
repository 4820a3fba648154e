/**
 * A scripted WebSocket for unit tests: the test plays the server (open, frames, closes) and
 * reads what the client sent, decoded.
 */
import { createCodec } from '../../src/protocol/frame.js';
import type { ClientMessage, Message, Serialization, ServerMessage } from '../../src/protocol/messages.js';
import type { WebSocketConstructor, WebSocketLike } from '../../src/transport/webSocketLike.js';

const json = createCodec('json');
const msgpack = createCodec('msgpack');

export class FakeWebSocket implements WebSocketLike {
  readyState = 0;
  binaryType = 'blob';
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  /** Everything the client sent, decoded. */
  readonly sent: ClientMessage[] = [];
  /** Raw frames the client sent. */
  readonly rawSent: (string | Uint8Array)[] = [];
  /** The close the client asked for, if it did. */
  clientClose: { code: number | undefined; reason: string | undefined } | undefined;
  /** Serialization of server frames after auth_success. */
  serialization: Serialization = 'json';

  constructor(readonly url: string) {}

  send(data: string | Uint8Array): void {
    if (this.readyState !== 1) throw new Error(`send in readyState ${this.readyState}`);
    this.rawSent.push(data);
    const message: Message = typeof data === 'string' ? json.decode(data) : msgpack.decode(data);
    this.sent.push(message as ClientMessage);
    this.onClientMessage?.(message as ClientMessage);
  }

  /** Test hook: runs for every message the client sends (e.g. a scripted server). */
  onClientMessage: ((message: ClientMessage) => void) | undefined;

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.clientClose = { code, reason };
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code: code ?? 1005, reason: reason ?? '' }));
  }

  // ------------------------------------------------------------ server side

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** Deliver a server message: auth frames and `json` as text, otherwise in `serialization`. */
  deliver(message: ServerMessage, as?: Serialization): void {
    if (this.readyState !== 1) return;
    const mode = as ?? (message.type === 'auth_success' || message.type === 'auth_error' ? 'json' : this.serialization);
    this.onmessage?.({ data: mode === 'json' ? json.encode(message) : toArrayBuffer(msgpack.encode(message) as Uint8Array) });
  }

  /** Deliver raw frame data. */
  deliverRaw(data: unknown): void {
    this.onmessage?.({ data });
  }

  /** Accept the authenticate with the negotiated serialization. */
  authOk(extra: Partial<{ connection_id: string; expires_at: number; user: string }> = {}): void {
    const auth = this.sent.find((m) => m.type === 'authenticate');
    const serialization = auth?.type === 'authenticate' ? (auth.protocol?.serialization ?? 'json') : 'json';
    this.serialization = serialization;
    this.deliver({ type: 'auth_success', user: extra.user ?? 'alice', role: 'user', protocol: { serialization, compression: 'none' }, connection_id: extra.connection_id ?? 'c'.repeat(32), ...(extra.expires_at === undefined ? {} : { expires_at: extra.expires_at }) });
  }

  /** The server closes the socket. */
  serverClose(code: number, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  sentOfType<T extends ClientMessage['type']>(type: T): Extract<ClientMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<ClientMessage, { type: T }> => m.type === type);
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Records every socket the client opens. */
export class SocketHub {
  readonly sockets: FakeWebSocket[] = [];
  readonly WebSocket: WebSocketConstructor;
  /** Answer every ping with a pong (keeps `ready` alive across long clock advances). */
  autoPong = false;

  constructor() {
    const hub = this;
    this.WebSocket = class extends FakeWebSocket {
      constructor(url: string) {
        super(url);
        hub.sockets.push(this);
        this.onClientMessage = (message) => {
          if (message.type === 'ping' && hub.autoPong) queueMicrotask(() => this.deliver({ type: 'pong' }));
        };
      }
    };
  }

  get last(): FakeWebSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (socket === undefined) throw new Error('no socket opened');
    return socket;
  }
}
