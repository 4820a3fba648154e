import { fromCallback } from 'xstate';
// Before our other modules: it imports @msgpack/msgpack first (see the note in index.ts).
import { msgpackCodecWith } from '../protocol/msgpackCodec.js';
import { KalamError } from '../errors.js';
import type { Codec } from '../protocol/codec.js';
import { jsonCodecWith } from '../protocol/jsonCodec.js';
import { readWireServerMessage } from '../protocol/serverMessages.js';
import { checkClientMessage } from '../protocol/wire.js';
import type { AuthErrorMessage, AuthSuccessMessage, ClientMessage, Message, Serialization, ServerMessage } from '../protocol/messages.js';
import { FrameDecoder, type Codecs } from '../transport/frameDecoder.js';
import { ReadyState, toBytes, type WebSocketLike } from '../transport/webSocketLike.js';
import type { ConnectionDeps } from './deps.js';

/** Commands the machine sends to the socket actor. */
export type SocketCommand =
  | {
      /** Send `authenticate` (first, or in-band with a fresh token). */
      readonly type: 'AUTHENTICATE';
      /** The JWT. */
      readonly token: string;
    }
  | {
      /** Send `ping`. */
      readonly type: 'PING';
    };

/** Events the socket actor sends to the machine. */
export type SocketEvent =
  | {
      /** The socket opened. */
      readonly type: 'SOCKET_OPEN';
    }
  | {
      /** The socket closed (or failed to open: code 1006). */
      readonly type: 'SOCKET_CLOSE';
      /** WebSocket close code. */
      readonly code: number;
      /** Close reason text. */
      readonly reason: string;
    }
  | {
      /** `auth_success` arrived. */
      readonly type: 'AUTH_SUCCESS';
      /** The message. */
      readonly message: AuthSuccessMessage;
    }
  | {
      /** `auth_error` arrived. */
      readonly type: 'AUTH_ERROR';
      /** The message. */
      readonly message: AuthErrorMessage;
    }
  | {
      /** A frame arrived after a ping: the server is alive. */
      readonly type: 'LIFE';
    };

/** Input of the connection machine's socket actor (`socket`). */
export interface SocketInput {
  /** The host's platform seams and callbacks. */
  readonly deps: ConnectionDeps;
}

/** One pair of codecs per link, reused by each of its connections (a resume then decodes with the same, already optimised decoder). */
const codecsOfLink = new WeakMap<ConnectionDeps, Codecs>();

function codecsFor(deps: ConnectionDeps): Codecs {
  let codecs = codecsOfLink.get(deps);
  if (codecs === undefined) {
    codecs = {
      json: jsonCodecWith(deps.maxFrameBytes, readWireServerMessage, checkClientMessage),
      msgpack: msgpackCodecWith(deps.maxFrameBytes, readWireServerMessage, checkClientMessage),
    };
    codecsOfLink.set(deps, codecs);
  }
  return codecs;
}

/**
 * Owns one WebSocket for one connection attempt: opens it, decodes frames, routes lifecycle
 * frames to the machine and everything else straight to `deps.onMessage` (the hot path never
 * goes through xstate), and closes it when the machine leaves `session`.
 */
export const socketActor = fromCallback<SocketCommand, SocketInput>(({ input, sendBack, receive }) => {
  const { deps } = input;
  const codecs = codecsFor(deps);
  let codec: Codec = codecs.json;
  let closed = false;
  // Set by PING; the first inbound frame after it is reported once as LIFE (one event per ping, not per frame).
  let awaitingLife = false;
  let corked = false;
  const alive = (): void => {
    awaitingLife = false;
    sendBack({ type: 'LIFE' });
  };

  const decoder = new FrameDecoder(codecs, {
    message(message: Message, bytes: number): void {
      if (closed) return;
      if (awaitingLife) alive();
      const onFrame = deps.onFrame;
      if (onFrame !== undefined) {
        const subscriptionId = 'subscription_id' in message && typeof message.subscription_id === 'string' ? message.subscription_id : undefined;
        onFrame(subscriptionId === undefined ? { direction: 'in', type: message.type, bytes } : { direction: 'in', type: message.type, subscriptionId, bytes });
      }
      switch (message.type) {
        case 'auth_success': {
          const serialization: Serialization = message.protocol.serialization;
          decoder.serialization = serialization;
          codec = codecs[serialization];
          deps.onTransport({ serialization, send });
          sendBack({ type: 'AUTH_SUCCESS', message });
          return;
        }
        case 'auth_error':
          sendBack({ type: 'AUTH_ERROR', message });
          return;
        default:
          // The codecs validate server → client messages only: a client message type never gets here.
          deps.onMessage(message as ServerMessage);
      }
    },
    error(error: KalamError): void {
      if (closed) return;
      if (awaitingLife) alive();
      deps.onError(error);
    },
  }, undefined, deps.maxFrameBytes);

  let ws: WebSocketLike;
  try {
    ws = new deps.WebSocket(deps.wsUrl);
  } catch (error) {
    // Invalid URL and the like: report as an abnormal close so the machine backs off.
    closed = true;
    deps.onError(new KalamError('NETWORK', `cannot open WebSocket: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    Promise.resolve().then(() => sendBack({ type: 'SOCKET_CLOSE', code: 1006, reason: 'cannot open WebSocket' }), () => undefined);
    return () => undefined;
  }
  // Node's ws hands over its own Buffer with 'nodebuffer' ('arraybuffer' copies every frame).
  // Browsers and undici ignore or reject the value, so they get 'arraybuffer' (never Blob).
  ws.binaryType = 'nodebuffer';
  if (ws.binaryType !== 'nodebuffer') ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    if (!closed) sendBack({ type: 'SOCKET_OPEN' });
  };
  ws.onmessage = (event) => {
    if (closed) return;
    const data = event.data;
    if (typeof data === 'string') decoder.push(data);
    else {
      const bytes = toBytes(data);
      if (bytes === undefined) deps.onError(new KalamError('PROTOCOL', 'unsupported frame payload'));
      else decoder.push(bytes);
    }
  };
  // ws (Node) throws on an 'error' event without a listener: keep one for the socket's whole life.
  ws.onerror = () => undefined;
  ws.onclose = (event) => {
    if (closed) return;
    closed = true;
    decoder.stop();
    deps.onTransport(undefined);
    sendBack({ type: 'SOCKET_CLOSE', code: typeof event.code === 'number' ? event.code : 1006, reason: typeof event.reason === 'string' ? event.reason : '' });
  };

  function send(message: ClientMessage): boolean {
    if (closed || ws.readyState !== ReadyState.OPEN) return false;
    const frame = codec.encode(message);
    if (!corked) {
      // Node's `ws` writes each frame with its own syscall: hold its TCP socket until this task
      // ends, so a burst (every subscription re-sent on ready) leaves in one writev.
      const socket = (ws as { _socket?: Partial<Record<'cork' | 'uncork', () => void>> })._socket;
      if (typeof socket?.cork === 'function') {
        corked = true;
        socket.cork();
        queueMicrotask(() => {
          corked = false;
          socket.uncork?.();
        });
      }
    }
    ws.send(frame);
    if (deps.onFrame !== undefined) {
      const subscriptionId = message.type === 'subscribe' ? message.subscription.id : 'subscription_id' in message ? message.subscription_id : undefined;
      const bytes = typeof frame === 'string' ? frame.length : frame.byteLength;
      deps.onFrame(subscriptionId === undefined ? { direction: 'out', type: message.type, bytes } : { direction: 'out', type: message.type, subscriptionId, bytes });
    }
    return true;
  }

  receive((command) => {
    if (closed || ws.readyState !== ReadyState.OPEN) return;
    if (command.type === 'AUTHENTICATE') {
      // Always a JSON text frame: the only form every server accepts before and after negotiation.
      const message: ClientMessage = { type: 'authenticate', method: 'jwt', token: command.token, protocol: { serialization: deps.serialization, compression: 'none' } };
      const frame = codecs.json.encode(message);
      ws.send(frame);
      deps.onFrame?.({ direction: 'out', type: 'authenticate', bytes: frame.length });
    } else {
      awaitingLife = true;
      send({ type: 'ping' });
    }
  });

  return () => {
    decoder.stop();
    if (closed) return;
    closed = true;
    deps.onTransport(undefined);
    if (ws.readyState === ReadyState.CLOSED) return;
    deps.trackClosing(
      new Promise<void>((resolve) => {
        // A half-open socket may never finish the closing handshake: do not wait forever.
        const timer = deps.timers.setTimeout(resolve, 2_000);
        ws.onclose = () => {
          deps.timers.clearTimeout(timer);
          resolve();
        };
      }),
    );
    try {
      ws.close(1000, 'client closing');
    } catch {
      // Already closing: nothing left to do.
    }
  };
});
