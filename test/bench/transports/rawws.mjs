/**
 * Baseline (a): a bare `ws` server broadcasting one pre-encoded msgpack frame per broadcast.
 * `preframed: true` also builds the WebSocket frame once per broadcast (the raw limit, as
 * socket.io does since 4.8); `false` calls `ws.send` per client. `perClientCopy` (diagnostic):
 * `'uint8array'` / `'pooled'` sends each client its own copy of the frame.
 */
import { WebSocketServer, WebSocket, Sender } from 'ws';
import { Decoder } from '@msgpack/msgpack';
import { msgpackTemplate } from '../lib/payload.mjs';
import { nowMs } from '../lib/clock.mjs';
import { waitFor } from '../lib/wait.mjs';

/** Parent side. */
export async function startServer({ preframed = true, perClientCopy = null } = {}) {
  const wss = new WebSocketServer({ port: 0, perMessageDeflate: false });
  await new Promise((resolve) => wss.once('listening', resolve));
  const sockets = [];
  wss.on('connection', (ws) => sockets.push(ws));
  const template = msgpackTemplate();
  const frameOptions = { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: false };
  return {
    url: `ws://127.0.0.1:${wss.address().port}`,
    payloadBytes: template.bytes.length,
    waitReady: (subscriptions) => waitFor(() => sockets.length >= subscriptions, 20_000, 'ws clients'),
    send(n) {
      for (let i = 0; i < n; i++) {
        // A fresh copy per broadcast: queued socket writes keep a reference to the buffer.
        const bytes = Buffer.from(template.bytes);
        bytes.writeDoubleBE(nowMs(), template.tsOffset);
        if (preframed) {
          const list = Sender.frame(bytes, frameOptions);
          for (const ws of sockets) ws._sender.sendFrame(list);
        } else if (perClientCopy === 'uint8array') {
          // Diagnostic: one fresh Uint8Array per delivery, as a per-subscriber splice makes.
          for (const ws of sockets) { const own = new Uint8Array(bytes.length); own.set(bytes); ws.send(own, { binary: true }); }
        } else if (perClientCopy === 'pooled') {
          for (const ws of sockets) { const own = Buffer.allocUnsafe(bytes.length); bytes.copy(own); ws.send(own, { binary: true }); }
        } else {
          for (const ws of sockets) ws.send(bytes, { binary: true });
        }
      }
      return n;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** Child side: C clients, one "subscription" each (S is ignored). */
export async function connectClients({ url, C, onDelivery }) {
  const decoder = new Decoder({ useBigInt64: true });
  const sockets = [];
  await Promise.all(
    Array.from({ length: C }, (_, c) => new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.on('message', (data) => {
        const message = decoder.decode(data);
        onDelivery(c, message.ts);
      });
      ws.once('open', resolve);
      ws.once('error', reject);
      sockets.push(ws);
    })),
  );
  return { subscriptions: C, close: async () => { for (const ws of sockets) ws.terminate(); } };
}
