/** Baseline (b): socket.io 4.8 broadcasting to a room (default JSON parser, websocket only). */
import http from 'node:http';
import { changeMessageJson } from '../lib/payload.mjs';
import { nowMs } from '../lib/clock.mjs';
import { waitFor } from '../lib/wait.mjs';

/** Parent side. */
export async function startServer() {
  const { Server } = await import('socket.io');
  const httpServer = http.createServer();
  const io = new Server(httpServer, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  let joined = 0;
  io.on('connection', (socket) => {
    socket.join('room');
    joined++;
    socket.on('disconnect', () => joined--);
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const room = io.to('room');
  return {
    url: `http://127.0.0.1:${httpServer.address().port}`,
    payloadBytes: Buffer.byteLength(JSON.stringify(['change', changeMessageJson(1, nowMs())])) + 2,
    waitReady: (subscriptions) => waitFor(() => joined >= subscriptions, 20_000, 'socket.io joins'),
    send(n) {
      for (let i = 0; i < n; i++) room.emit('change', changeMessageJson(1, nowMs()));
      return n;
    },
    async close() {
      io.disconnectSockets(true);
      await new Promise((resolve) => io.close(() => resolve()));
    },
  };
}

/** Child side. */
export async function connectClients({ url, C, onDelivery }) {
  const { io } = await import('socket.io-client');
  const sockets = [];
  await Promise.all(
    Array.from({ length: C }, (_, c) => new Promise((resolve, reject) => {
      const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      socket.on('change', (message) => onDelivery(c, message.ts));
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
      sockets.push(socket);
    })),
  );
  return { subscriptions: C, close: async () => { for (const s of sockets) s.close(); } };
}
