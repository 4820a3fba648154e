/**
 * The slice of the WebSocket API kalam-link uses: the browser's `WebSocket`, `ws` (Node) and test
 * fakes all satisfy it. Handlers are properties (not addEventListener) so the three behave alike.
 */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor (`new WebSocket(url)`). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` values shared by every implementation. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/** The WebSocket endpoint for an http(s) base URL: same host, ws(s) scheme, path `/v1/ws`. */
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
