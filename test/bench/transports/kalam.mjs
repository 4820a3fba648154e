/**
 * Our stack, end to end: the reference server (this process) and C connections × S
 * subscriptions on `SELECT * FROM bench.rows` in the child. The writer inserts rows over HTTP SQL
 * (multi-row INSERT when saturating); each row carries the writer's monotonic timestamp, so the
 * latency is write → listener.
 *
 * With `groups: G` rows are spread over G id groups and subscription s of every connection
 * watches group s % G, so each write reaches one subscription per connection.
 *
 * Client side: `client: 'link'` = the real kalam-link (`createLink` + `subscribe`);
 * `client: 'wire'` = a minimal msgpack protocol client (raw ws + @msgpack/msgpack decode), which
 * isolates the server's share.
 */
import { startKalam, insertSql, groupRange } from '../lib/kalamServer.mjs';
import { postJson } from '../lib/kalamHttp.mjs';
import { nowMs } from '../lib/clock.mjs';
import { waitFor } from '../lib/wait.mjs';
import * as statsModule from '../lib/stats.mjs';

const SUBSCRIBE_SQL = 'SELECT * FROM bench.rows';

/**
 * Parent side. `batch` = max rows per INSERT; `inflight` = concurrent HTTP requests;
 * `corkPatch` = the bench-only what-if of lib/corkPatch.mjs.
 */
export async function startServer({ rate, batch, inflight = 2, corkPatch = false, groups = 1 } = {}) {
  const restoreSend = corkPatch ? (await import('../lib/corkPatch.mjs')).applyCorkPatch() : () => {};
  const kalam = await startKalam();
  const rowsPerInsert = batch ?? (rate > 0 ? 1 : 32);
  let pending = 0;
  let onCapacity = () => {};
  const auth = { authorization: `Bearer ${kalam.token}` };
  const writeMs = [];
  return {
    url: kalam.wsUrl,
    httpUrl: kalam.url,
    clientOptions: { token: kalam.token, httpUrl: kalam.url },
    payloadBytes: NaN,
    onCapacity(fn) { onCapacity = fn; },
    waitReady: (subscriptions) => waitFor(() => kalam.server.stats().subscriptions >= subscriptions, 60_000, 'kalam subscriptions'),
    send(n, first) {
      if (pending >= inflight) return 0;
      const k = Math.min(n, rowsPerInsert);
      pending++;
      const ts = nowMs();
      postJson(kalam.url, '/v1/api/sql', { sql: insertSql(first + 1, k, ts, groups) }, auth).then((res) => {
        pending--;
        writeMs.push(nowMs() - ts);
        if (res.status !== 200) {
          console.error(`bench insert failed: ${res.status} ${JSON.stringify(res.body)}`);
          process.exit(2);
        }
        onCapacity();
      }, (err) => { console.error(err); process.exit(2); });
      return k;
    },
    /** INSERT round trips (request → response, which the server sends after commit + fan-out). */
    extraStats() {
      const { latencySummary } = statsModule;
      const w = latencySummary(Float64Array.from(writeMs.slice(Math.floor(writeMs.length / 5))));
      return { insertP50: w.p50, insertP99: w.p99, inserts: writeMs.length };
    },
    async close() {
      await kalam.close();
      restoreSend();
    },
  };
}

/** Child side. */
export async function connectClients(o) {
  return o.client === 'wire' ? connectWire(o) : connectLink(o);
}

/** SQL of subscription `s`: every row, or (with `groups` > 1) only id group `s % groups`. */
function subscriptionSql(s, groups) {
  return groups > 1 ? `${SUBSCRIBE_SQL} WHERE ${groupRange(s % groups)}` : SUBSCRIBE_SQL;
}

async function connectWire({ url, C, S, token, onDelivery, groups = 1 }) {
  const { WebSocket } = await import('ws');
  const { Decoder, Encoder } = await import('@msgpack/msgpack');
  const decoder = new Decoder({ useBigInt64: true });
  const encoder = new Encoder({ useBigInt64: true });
  const sockets = [];
  await Promise.all(Array.from({ length: C }, (_, c) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?serialization=msgpack&compression=none`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    let acks = 0;
    ws.on('message', (data, isBinary) => {
      const m = isBinary ? decoder.decode(data) : JSON.parse(data.toString());
      if (m.type === 'change') {
        onDelivery(c, m.rows[0].ts);
      } else if (m.type === 'auth_success') {
        for (let s = 0; s < S; s++) ws.send(encoder.encode({ type: 'subscribe', subscription: { id: `s${s}`, sql: subscriptionSql(s, groups) } }));
      } else if (m.type === 'subscription_ack') {
        if (++acks === S) resolve();
      } else if (m.type === 'error' || m.type === 'auth_error') {
        reject(new Error(`wire client: ${JSON.stringify(m)}`));
      }
    });
    ws.once('error', reject);
    sockets.push(ws);
  })));
  return { subscriptions: C * S, close: async () => { for (const ws of sockets) ws.terminate(); } };
}

async function connectLink({ C, S, token, httpUrl, onDelivery, groups = 1 }) {
  const { createLink, Auth } = await import('@kalam/link');
  const links = [];
  const ready = [];
  for (let c = 0; c < C; c++) {
    const link = createLink({ url: httpUrl, auth: Auth.jwt(token) });
    links.push(link);
    for (let s = 0; s < S; s++) {
      ready.push(new Promise((resolve, reject) => {
        link.subscribe(subscriptionSql(s, groups), { id: `s${s}` }, (event) => {
          if (event.type === 'insert') onDelivery(c, event.row.ts);
          else if (event.type === 'status' && event.status === 'ready') resolve();
          else if (event.type === 'error' && event.fatal) reject(event.error);
        });
      }));
    }
  }
  await Promise.all(ready);
  return { subscriptions: C * S, close: async () => { await Promise.all(links.map((l) => l.close())); } };
}
