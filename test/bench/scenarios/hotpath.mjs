/**
 * Item 2: the client's cost per change event on one socket carrying `subs` subscriptions, with
 * the server replaced by an in-process fake (lib/fakeServer.mjs) that feeds pre-encoded msgpack
 * `change` frames straight into the link's `onmessage`. Measured paths:
 *  - live: decode + registry lookup + seq/prev_seq check + LiveRows update + listener (`link.live`);
 *  - listener: the same without LiveRows (`link.subscribe` with a listener);
 *  - decode: a bare @msgpack/msgpack decode of the same frames (the floor).
 * Frames are `update`s cycling over a 100-row result set (complete new and old rows), so the
 * result set's size stays fixed.
 */
import { Decoder } from '@msgpack/msgpack';
import { createFakeServer, FAKE_TOKEN } from '../lib/fakeServer.mjs';
import { TITLE, BODY } from '../lib/payload.mjs';
import { median } from '../lib/stats.mjs';

const SQL = 'SELECT * FROM bench.rows';
const S = 1n << 60n; // snapshot point, above 2^53

function row(id, seq) {
  return { id: BigInt(id), title: TITLE, body: BODY, ts: 1.5, _seq: seq };
}

/** `n` chained update frames for subscription `id` (seq S+1.., prev_seq chained). */
function updateFrames(encoder, id, n, state, ROWS) {
  const frames = new Array(n);
  for (let i = 0; i < n; i++) {
    const seq = ++state.seq;
    const k = (state.k++ % ROWS) + 1;
    const old = state.rowSeq[k];
    state.rowSeq[k] = seq;
    frames[i] = encoder.encode({
      type: 'change', subscription_id: id, change_type: 'update',
      rows: [row(k, seq)], old_values: [row(k, old)], seq, prev_seq: seq - 1n,
    });
  }
  return frames;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Time each path on its own frames, interleaving the paths round by round so machine noise hits
 * them alike; ns per event, median of the rounds.
 */
async function timeInterleaved(paths, warmup, rounds, chunk) {
  for (const p of paths) {
    for (let i = 0; i < warmup; i++) p.feed(p.frames[i]);
    await tick();
  }
  const samples = paths.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const start = warmup + r * chunk;
    for (let j = 0; j < paths.length; j++) {
      const { frames, feed } = paths[j];
      const t0 = process.hrtime.bigint();
      for (let i = start; i < start + chunk; i++) feed(frames[i]);
      await tick();
      samples[j].push(Number(process.hrtime.bigint() - t0) / chunk);
    }
  }
  return samples.map(median);
}

export async function run({ subs = 1, rounds = 9, chunk = 5_000, warmup = 20_000, resultRows: ROWS = 100 }) {
  const { createLink, Auth } = await import('@kalam/link');
  const snapshot = (id) => (id === 'live' || id === 'plain' ? Array.from({ length: ROWS }, (_, i) => row(i + 1, S - BigInt(ROWS - i))) : []);
  const fake = createFakeServer({ snapshotSeq: S, snapshotRows: snapshot });
  const link = createLink({ url: 'http://bench.invalid', auth: Auth.jwt(FAKE_TOKEN), WebSocket: fake.WebSocket });
  const readies = [];
  const whenReady = (handle) => new Promise((resolve, reject) => {
    if (handle.status === 'ready') return resolve();
    const off = handle.onEvent((e) => {
      if (e.type === 'status' && e.status === 'ready') { off(); resolve(); } else if (e.type === 'error' && e.fatal) reject(e.error);
    });
  });
  for (let i = 0; i < subs - 1; i++) readies.push(whenReady(link.subscribe(SQL, { id: `other${i}` })));
  let liveCalls = 0;
  const live = link.live(SQL, { id: 'live' });
  live.subscribe(() => { liveCalls++; });
  let plainCalls = 0;
  const plain = link.subscribe(SQL, { id: 'plain' }, (e) => { if (e.type === 'update') plainCalls++; });
  readies.push(live.ready(), whenReady(plain));
  await Promise.all(readies);
  const socket = fake.sockets[fake.sockets.length - 1];
  const total = warmup + rounds * chunk;
  const rowSeq = Object.fromEntries(Array.from({ length: ROWS }, (_, i) => [i + 1, S - BigInt(ROWS - 1 - i)]));
  const liveFrames = updateFrames(fake.encoder, 'live', total, { seq: S, k: 0, rowSeq: { ...rowSeq } }, ROWS);
  const plainFrames = updateFrames(fake.encoder, 'plain', total, { seq: S, k: 0, rowSeq: { ...rowSeq } }, ROWS);
  const feed = (f) => socket.deliver(f);
  const decoder = new Decoder({ useBigInt64: true });
  let sink = 0;
  const [liveNs, listenerNs, decodeNs] = await timeInterleaved([
    { frames: liveFrames, feed },
    { frames: plainFrames, feed },
    { frames: liveFrames, feed: (f) => { sink += decoder.decode(f).rows.length; } },
  ], warmup, rounds, chunk);
  const verified = live.lastSeqId === S + BigInt(total) && plain.lastSeqId === S + BigInt(total) && live.rows.length === ROWS;
  const result = {
    subs, resultRows: ROWS, frameBytes: liveFrames[0].byteLength, liveNs, listenerNs, decodeNs,
    liveCalls, plainCalls, events: total, verified, sink,
  };
  await link.close();
  return result;
}
