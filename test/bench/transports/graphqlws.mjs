/**
 * Baseline (c): graphql-ws subscriptions. Every broadcast is pushed to each subscriber's
 * iterator; graphql-ws executes and serializes once per subscriber (its normal model).
 */
import { changeMessageJson } from '../lib/payload.mjs';
import { nowMs } from '../lib/clock.mjs';
import { waitFor } from '../lib/wait.mjs';

const SDL = `
  type Row { id: Int, title: String, body: String, _seq: String }
  type Change { type: String, subscription_id: String, change_type: String, rows: [Row], ts: Float }
  type Query { ok: Boolean }
  type Subscription { change: Change }
`;
const QUERY = 'subscription { change { type subscription_id change_type rows { id title body _seq } ts } }';

/** A push-based async iterator per subscriber. */
function channel(onEnd) {
  const queue = [];
  let waiting = null;
  let done = false;
  return {
    push(value) {
      if (waiting) { const w = waiting; waiting = null; w({ value, done: false }); } else queue.push(value);
    },
    [Symbol.asyncIterator]() { return this; },
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => { waiting = resolve; });
    },
    return() {
      done = true; onEnd(this);
      if (waiting) { const w = waiting; waiting = null; w({ value: undefined, done: true }); }
      return Promise.resolve({ value: undefined, done: true });
    },
  };
}

/** Parent side. */
export async function startServer() {
  const { buildSchema } = await import('graphql');
  const { useServer } = await import('graphql-ws/use/ws');
  const { WebSocketServer } = await import('ws');
  const subscribers = new Set();
  const schema = buildSchema(SDL);
  const field = schema.getSubscriptionType().getFields().change;
  field.subscribe = () => {
    const ch = channel((c) => subscribers.delete(c));
    subscribers.add(ch);
    return ch;
  };
  field.resolve = (event) => event;
  const wss = new WebSocketServer({ port: 0, perMessageDeflate: false });
  await new Promise((resolve) => wss.once('listening', resolve));
  const disposable = useServer({ schema }, wss);
  const sample = JSON.stringify({ id: 'x', type: 'next', payload: { data: { change: changeMessageJson(1, nowMs()) } } });
  return {
    url: `ws://127.0.0.1:${wss.address().port}`,
    payloadBytes: Buffer.byteLength(sample),
    waitReady: (subscriptions) => waitFor(() => subscribers.size >= subscriptions, 20_000, 'graphql-ws subscriptions'),
    send(n) {
      for (let i = 0; i < n; i++) {
        const event = changeMessageJson(1, nowMs());
        for (const s of subscribers) s.push(event);
      }
      return n;
    },
    async close() {
      await disposable.dispose();
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** Child side. */
export async function connectClients({ url, C, onDelivery }) {
  const { createClient } = await import('graphql-ws');
  const { WebSocket } = await import('ws');
  const clients = [];
  for (let c = 0; c < C; c++) {
    const client = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
    client.subscribe({ query: QUERY }, {
      next: (result) => onDelivery(c, result.data.change.ts),
      error: (err) => { console.error('graphql-ws client error', err); },
      complete: () => {},
    });
    clients.push(client);
  }
  return { subscriptions: C, close: async () => { for (const cl of clients) await cl.dispose(); } };
}
