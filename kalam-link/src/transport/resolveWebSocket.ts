import IsomorphicWebSocket from 'isomorphic-ws';
import type { WebSocketConstructor } from './webSocketLike.js';

/** The injected constructor, else isomorphic-ws (`ws` in Node, the global `WebSocket` in browsers). */
export function resolveWebSocket(injected: WebSocketConstructor | undefined): WebSocketConstructor {
  return injected ?? (IsomorphicWebSocket as unknown as WebSocketConstructor);
}
