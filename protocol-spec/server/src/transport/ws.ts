/**
 * The only file that binds `ws`: upgrades on `/v1/ws` (Origin allow-list, optional
 * `Authorization: Bearer` with `?serialization=&compression=`), one {@link Session} per socket.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Compression, ProtocolOptions, Serialization } from '@kalam/link/protocol';
import { bearerToken } from '../http/respond.js';
import { Session, type SessionTransport } from '../session.js';
import type { Runtime } from '../runtime.js';
import { TickCorker, type Corkable, type CorkSlot } from './cork.js';

/** Path of the WebSocket endpoint. */
export const WS_PATH = '/v1/ws';

/** Frames larger than this are refused by `ws` itself (close 1009); smaller oversize frames get MESSAGE_TOO_LARGE. */
const HARD_FRAME_CAP = 16 * 1024 * 1024;
/** How long a closing socket may take to flush its close frame before it is destroyed. */
const CLOSE_GRACE_MS = 10_000;
/** Corked bytes above which a socket is written out at once (bounded by an eighth of the outbound limit). */
const CORK_FLUSH_BYTES = 64 * 1024;

/** Handle of the WebSocket side of the server. */
export interface WebSocketEndpoint {
  /** Refuse new upgrades, close every socket with `code`, destroy stragglers after `graceMs`. */
  close(code: number, graceMs: number): Promise<void>;
}

/** Attach the WebSocket endpoint to an HTTP server. */
export function attachWebSocket(server: Server, rt: Runtime): WebSocketEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(HARD_FRAME_CAP, rt.config.limits.maxFrameBytes * 4),
    perMessageDeflate: false,
    clientTracking: true,
  });
  let closing = false;
  const corker = new TickCorker();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return reject(socket, 404, 'Not Found');
    if (closing) return reject(socket, 503, 'Server is shutting down');
    const origin = req.headers.origin;
    if (origin !== undefined && rt.config.allowedOrigins.size > 0 && !rt.config.allowedOrigins.has(origin)) {
      return reject(socket, 403, 'Origin not allowed');
    }
    const token = bearerToken(req.headers.authorization);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const upgradeAuth = token === undefined ? undefined : { token, protocol: queryProtocol(url) };
      const session = new Session(rt, transportOf(rt, ws, req, socket, corker), upgradeAuth);
      rt.sessions.add(session);
      ws.on('message', (data: RawData, isBinary: boolean) => session.onFrame(toBuffer(data), isBinary));
      ws.on('ping', () => session.onControlFrame());
      ws.on('pong', () => session.onControlFrame());
      ws.on('close', () => session.onTransportClosed());
      ws.on('error', (e) => rt.config.log(`connection ${session.id}: ${e.message}`));
    });
  };
  server.on('upgrade', onUpgrade);

  return {
    async close(code, graceMs) {
      closing = true;
      server.off('upgrade', onUpgrade);
      for (const session of [...rt.sessions]) session.close(code, 'server shutting down');
      const open = [...wss.clients];
      if (open.length > 0) {
        await Promise.race([
          Promise.all(open.map((ws) => (ws.readyState === ws.CLOSED ? undefined : new Promise((r) => ws.once('close', r))))),
          new Promise((r) => setTimeout(r, graceMs).unref()),
        ]);
      }
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** `socket` is the upgraded stream `ws` writes to: corked on first send in a tick, so a tick's frames leave in one write. */
function transportOf(rt: Runtime, ws: WebSocket, req: IncomingMessage, socket: Corkable & { write(chunk: Buffer): boolean }, corker: TickCorker): SessionTransport {
  const { remoteAddress = '', remotePort } = req.socket;
  const slot: CorkSlot = { socket, corked: false, touched: false };
  const flushBytes = Math.max(1, Math.min(CORK_FLUSH_BYTES, rt.config.limits.maxOutboundBytes / 8));
  return {
    remoteAddress: remotePort === undefined ? remoteAddress : `${remoteAddress}:${remotePort}`,
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send(frame) {
      // every send, not only fan-out: a resume's acks and catch-up replays would otherwise be one syscall each
      if (ws.readyState !== ws.OPEN) return ws.send(frame);
      corker.cork(slot);
      ws.send(frame);
      // a large burst leaves now, as it would uncorked: bufferedAmount (the 4006 bound) then counts only what the kernel refused
      if (socket.writableLength >= flushBytes) corker.flush(slot);
    },
    sendFramed(frame) {
      // ws.send on a socket that is not open drops the frame too (its Sender writes nothing)
      if (ws.readyState !== ws.OPEN) return;
      // the frame is complete (no deflate: perMessageDeflate is off), so it bypasses ws's Sender; order with ws's own writes holds (same socket, call order)
      corker.firstOrCork(slot);
      socket.write(frame);
      if (socket.writableLength >= flushBytes) corker.flush(slot);
    },
    flush() {
      corker.flush(slot);
    },
    close(code, reason) {
      ws.close(code, reason.slice(0, 120));
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    },
  };
}

function queryProtocol(url: URL): ProtocolOptions {
  const s = url.searchParams.get('serialization')?.toLowerCase();
  const c = url.searchParams.get('compression')?.toLowerCase();
  const serialization: Serialization = s === 'msgpack' ? 'msgpack' : 'json';
  const compression: Compression = c === 'gzip' ? 'gzip' : 'none';
  return { serialization, compression };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function reject(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({ status: 'error', error: { code: status === 403 ? 'UNAUTHORIZED' : status === 404 ? 'NOT_FOUND' : 'INTERNAL', message: text } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
