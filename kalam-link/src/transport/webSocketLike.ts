/**
 * The slice of the WebSocket API kalam-link uses: the browser's `WebSocket`, `ws` (Node) and test
 * fakes all satisfy it. Handlers are properties (not addEventListener) so the three behave alike.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Set by kalam-link to `nodebuffer` where accepted (Node's `ws`), else `arraybuffer`. */
  binaryType: string;
  /** The socket opened. */
  onopen: ((event: unknown) => void) | null;
  /** The socket closed, with its close code and reason. */
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  /** A socket error (a close follows). */
  onerror: ((event: unknown) => void) | null;
  /** A frame arrived (`data`: string, ArrayBuffer, Buffer or Buffer[]). */
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  /** Send a text (`string`) or binary (`Uint8Array`) frame. */
  send(data: string | Uint8Array): void;
  /** Close with an optional code and reason. */
  close(code?: number, reason?: string): void;
}

/**
 * A WebSocket constructor (`new WebSocket(url)`).
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * createLink({ url, auth, WebSocket: WebSocket as unknown as WebSocketConstructor });
 * ```
 */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` values shared by every implementation. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/**
 * The WebSocket endpoint for an http(s) base URL: same host, ws(s) scheme, path `/v1/ws`.
 *
 * @example
 * ```ts
 * webSocketUrl('https://kalam.example.com'); // 'wss://kalam.example.com/v1/ws'
 * ```
 */
export function webSocketUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/ws`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** Byte view of a binary frame payload (ArrayBuffer, Node Buffer, typed array, or Buffer[] fragments). */
export function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  // instanceof fails across realms (jsdom with Node's ws, iframes), so check the tag too.
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
    return new Uint8Array(data as ArrayBuffer);
  }
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((part) => part instanceof Uint8Array)) {
    const parts = data as Uint8Array[];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }
  return undefined;
}
