/**
 * Our stack, end to end: the reference server (this process) and C connections × S
 * subscriptions on `SELECT * FROM bench.rows` in the clients' child. A forked writer process
 * (`writer-child.mjs`) inserts rows over HTTP SQL (multi-row INSERT when saturating) when this
 * process asks over IPC, so only the server's side of each request is charged to the server; each
 * row carries the writer's monotonic timestamp, so the latency is write → listener.
 *
 * With `groups: G` rows are spread over G id groups and subscription s of every connection
 * watches group s % G, so each write reaches one subscription per connection.
 *
 * Client side: `client: 'link'` = the real kalam-link (`createLink` + `subscribe`);
 * `client: 'wire'` = a minimal msgpack protocol client (raw ws + @msgpack/msgpack decode), which
 * isolates the server's share.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startKalam, groupRange } from '../lib/kalamServer.mjs';
import { waitFor } from '../lib/wait.mjs';
import * as statsModule from '../lib/stats.mjs';

const SUBSCRIBE_SQL = 'SELECT * FROM bench.rows';
const WRITER = fileURLToPath(new URL('../writer-child.mjs', import.meta.url));

/** Fork the writer process; resolves once it is configured. */
async function startWriter(kalam, groups) {
  const writer = fork(WRITER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve, reject) => {
    writer.once('message', resolve);
    writer.once('error', reject);
  });
  writer.send({ cmd: 'config', url: kalam.url, token: kalam.token, groups });
  writer.on('exit', (code) => {
    if (code !== 0 && !writer.closing) { console.error(`bench writer exited (${code})`); process.exit(2); }
  });
  return writer;
}

/**
 * Parent side. `batch` = max rows per INSERT; `inflight` = concurrent HTTP requests;
 * `corkPatch` = the bench-only what-if of lib/corkPatch.mjs.
 */
export async function startServer({ rate, batch, inflight = 2, corkPatch = false, groups = 1 } = {}) {
  const restoreSend = corkPatch ? (await import('../lib/corkPatch.mjs')).applyCorkPatch() : () => {};
  const kalam = await startKalam();
  const rowsPerInsert = batch ?? (rate > 0 ? 1 : 32);
  const writer = await startWriter(kalam, groups);
  let pending = 0;
  let onCapacity = () => {};
  let writeMs = [];
  let onMeasuring = () => {};
  let progressWanted = false;
  let statsReply = () => {};
  writer.on('message', (msg) => {
    if (msg.ev === 'inserted') {
      pending--;
      writeMs.push(msg.ms);
      onCapacity();
    } else if (msg.ev === 'measuring') {
      onMeasuring();
      writer.send({ cmd: 'go' });
    } else if (msg.ev === 'blocked') {
      progressWanted = true;
    } else if (msg.ev === 'stats') {
      statsReply(msg.writeMs);
    } else if (msg.ev === 'error') {
      console.error(msg.message);
      process.exit(2);
    }
  });
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
      writer.send({ cmd: 'insert', first: first + 1, n: k });
      return k;
    },
    /**
     * Paced runs: the writer child paces itself (see writer-child.mjs); `onStart` runs just before
     * the first measured broadcast is posted.
     */
    pace({ rate: r, total, warmup, window, onStart }) {
      onMeasuring = onStart;
      writer.send({ cmd: 'pace', rate: r, total, warmup, window, inflight, batch: rowsPerInsert });
    },
    /** The slowest client's progress, forwarded only while the writer waits on the window. */
    progress(min) {
      if (!progressWanted) return;
      progressWanted = false;
      writer.send({ cmd: 'progress', min });
    },
    /** INSERT round trips (request → response, which the server sends after commit + fan-out). */
    async extraStats() {
      if (writeMs.length === 0) writeMs = await new Promise((resolve) => { statsReply = resolve; writer.send({ cmd: 'stats' }); });
      const { latencySummary } = statsModule;
      const w = latencySummary(Float64Array.from(writeMs.slice(Math.floor(writeMs.length / 5))));
      return { insertP50: w.p50, insertP99: w.p99, inserts: writeMs.length };
    },
    async close() {
      writer.closing = true;
      await new Promise((resolve) => {
        if (writer.exitCode !== null) return resolve();
        writer.once('exit', resolve);
        writer.send({ cmd: 'exit' });
      });
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
