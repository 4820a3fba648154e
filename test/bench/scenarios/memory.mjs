/**
 * Item 5: memory. Server: RSS (and V8 heap) growth per idle authenticated connection (`conns`
 * sockets, no subscriptions) and per subscription (`subs` spread over connections of 1,000),
 * sockets held by a child process, measured after GC (run with --expose-gc). Client: V8 heap per
 * subscription of one kalam-link (fake in-process server), plain `subscribe` and `live`.
 * `heap: true` adds a per-constructor heap diff per subscription, `smaps: true` the RSS growth per
 * subscription by memory mapping (Linux).
 *
 * Server RSS per subscription is measured twice (test/bench/README.md, "Memory"):
 * - `rssPerSubBurst` (the figure until session 3): RSS 300 ms after the subscribe burst, after GC.
 *   It also counts V8's young generation grown by the burst's garbage (semi-spaces 1 → 32 MB, about
 *   3 KB per subscription at 10,000, bounded and reused by the next burst), which `gc()` does not
 *   shrink.
 * - `rssPerSub` (the headline): before and after the burst, the process idles (a `gc()` every
 *   500 ms) until V8 itself, default flags, has shrunk the young generation back to its size at
 *   start (see {@link reduced}); then measured after GC. What is left is what the subscriptions
 *   keep. `rssPerConn` is still taken the old way (no target; it includes young-generation growth).
 */
import { startKalam, JWT_SECRET } from '../lib/kalamServer.mjs';
import { mintToken } from '../lib/jwt.mjs';
import { forkChild } from '../lib/child.mjs';
import { sleep } from '../lib/clock.mjs';
import v8 from 'node:v8';

const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
/** Young-generation capacity before any load: V8 grows it under allocation churn and shrinks it back to this once allocation is low. */
const NEW_SPACE_AT_START = newSpace();

async function settled() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await sleep(100);
  }
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
  return { rss: m.rss, heap: m.heapUsed, heapTotal: m.heapTotal, external: m.external + m.arrayBuffers, spaces, physical: v8.getHeapStatistics().total_physical_size };
}

/**
 * {@link settled}, once V8 has shrunk the young generation back to its size at start. V8 does that
 * by itself in a full GC once the allocation rate has stayed low for a few seconds (heap.cc
 * ReduceNewSpaceSize, or the memory reducer of an idle isolate); `gc()` every 500 ms gives it
 * those full GCs. Default flags, as any server runs.
 */
async function reduced(timeoutMs = 40_000) {
  const start = Date.now();
  while (newSpace() > NEW_SPACE_AT_START && Date.now() - start < timeoutMs) {
    globalThis.gc?.();
    await sleep(500);
  }
  const done = newSpace() <= NEW_SPACE_AT_START;
  return { ...(await settled()), reducedMs: Date.now() - start, reducerDone: done };
}

/** RSS by mapping (`/proc/self/smaps`, Linux): pathname, `[heap]`, or `anon` — where growth lands. */
async function rssByMapping() {
  const { readFileSync } = await import('node:fs');
  const out = new Map();
  let name = 'anon';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    // anonymous mappings by size: V8 heap pages are 256 KB chunks, malloc arenas 64 MB reservations
    if (m) name = m[3] || `anon ${anonBucket(parseInt(m[2], 16) - parseInt(m[1], 16))}`;
    else if (line.startsWith('Rss:')) out.set(name, (out.get(name) ?? 0) + Number(line.split(/\s+/)[1]) * 1024);
  }
  return out;
}

function anonBucket(bytes) {
  const kb = bytes / 1024;
  return kb <= 256 ? '≤256K' : kb <= 4096 ? '≤4M' : kb < 65536 ? '<64M' : '≥64M';
}

function diffMappings(before, after, per) {
  return [...after]
    .map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / per])
    .filter(([, v]) => Math.abs(v) >= 16)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, v]) => `${v.toFixed(0).padStart(6)} B  ${k.replace(/^.*node_modules\//, '')}`);
}

async function serverSide({ conns, subs, sameSql = false, heap = false, smaps = false }) {
  // The holder sends nothing after subscribing: the client timeout must outlast the reducer waits.
  const kalam = await startKalam({ limits: { maxConnectionsPerUser: conns + 100, clientTimeoutMs: 600_000 } });
  const holder = await forkChild('holder-child.mjs');
  const holder2 = await forkChild('holder-child.mjs');
  try {
    // One probe connection first so one-time costs (ws, session code paths, JIT) are not counted.
    await holder.request({ cmd: 'open', url: kalam.wsUrl, conns: [{ token: kalam.token, subs: ['SELECT * FROM bench.rows WHERE id > 0'] }] }, 'ready');
    const base = await settled();
    const token = mintToken(JWT_SECRET, 'admin', 'dba');
    await holder.request({ cmd: 'open', url: kalam.wsUrl, conns: Array.from({ length: conns }, () => ({ token, subs: [] })) }, 'ready', 120_000);
    const afterConns = await settled();
    const perConn = 1000;
    const n = Math.ceil(subs / perConn);
    const withSubs = Array.from({ length: n }, (_, c) => ({
      token,
      subs: Array.from({ length: Math.min(perConn, subs - c * perConn) }, (_, k) => (sameSql ? 'SELECT * FROM bench.rows WHERE id > 0' : `SELECT * FROM bench.rows WHERE id > ${c * perConn + k}`)),
    }));
    const before = await settled();
    const { heapByConstructor, diffHeaps } = heap ? await import('../lib/heapSummary.mjs') : {};
    const heapBefore = heap ? await heapByConstructor() : null;
    const reducedBefore = await reduced();
    const mapsBefore = smaps ? await rssByMapping() : null;
    const opened = await holder2.request({ cmd: 'open', url: kalam.wsUrl, conns: withSubs }, 'ready', 300_000);
    const afterSubs = await settled();
    const reducedAfter = await reduced();
    const rssTop = mapsBefore ? diffMappings(mapsBefore, await rssByMapping(), subs) : undefined;
    const heapTop = heap ? diffHeaps(heapBefore, await heapByConstructor(), 25, subs) : undefined;
    const stats = kalam.server.stats();
    if (!reducedBefore.reducerDone || !reducedAfter.reducerDone) throw new Error('memory: V8 did not shrink the young generation within 40 s of idling');
    if (opened.acks !== subs) throw new Error(`memory: ${opened.acks}/${subs} subscriptions acknowledged`);
    const subConnCost = (afterConns.rss - base.rss) / conns;
    return {
      conns, subs, subscriptions: stats.subscriptions,
      rssPerConn: (afterConns.rss - base.rss) / conns,
      heapPerConn: (afterConns.heap - base.heap) / conns,
      // The subscription sockets' own connection cost is taken out.
      rssPerSub: (reducedAfter.rss - reducedBefore.rss - n * subConnCost) / subs,
      rssPerSubBurst: (afterSubs.rss - before.rss - n * subConnCost) / subs,
      // V8 heap pages actually resident (all spaces), after the reducer
      v8PhysicalPerSub: (reducedAfter.physical - reducedBefore.physical) / subs,
      reducerMs: [reducedBefore.reducedMs, reducedAfter.reducedMs],
      heapPerSub: (afterSubs.heap - before.heap - n * ((afterConns.heap - base.heap) / conns)) / subs,
      // where RSS beyond the live heap goes: V8 pages committed (heapTotal) and off-heap buffers (external)
      heapTotalPerSub: (afterSubs.heapTotal - before.heapTotal) / subs,
      // young generation (MB) before and after the burst: as gc() left it, then after the reducer
      newSpaceMB: [before, afterSubs, reducedBefore, reducedAfter].map((x) => Math.round(x.spaces.new_space / 1048576)),
      externalPerSub: (afterSubs.external - before.external) / subs,
      // committed size growth per V8 space: new_space is young-generation capacity (set by allocation churn, not by what is kept)
      spacePerSub: Object.fromEntries(Object.entries(reducedAfter.spaces).map(([k, v]) => [k, Math.round((v - (reducedBefore.spaces[k] ?? 0)) / subs)]).filter(([, v]) => v !== 0)),
      ...(heapTop ? { heapTop } : {}),
      ...(rssTop ? { rssTop } : {}),
    };
  } finally {
    await holder.exit();
    await holder2.exit();
    await kalam.close();
  }
}

async function clientSide({ subs }) {
  const { createLink, Auth } = await import('@kalam/link');
  const { createFakeServer, FAKE_TOKEN } = await import('../lib/fakeServer.mjs');
  const fake = createFakeServer({ snapshotSeq: 1n << 60n, snapshotRows: () => [] });
  const link = createLink({ url: 'http://bench.invalid', auth: Auth.jwt(FAKE_TOKEN), WebSocket: fake.WebSocket });
  const measure = async (make) => {
    const before = await settled();
    const handles = [];
    const ready = [];
    for (let i = 0; i < subs; i++) {
      const h = make(i);
      handles.push(h);
      ready.push(h.ready ? h.ready() : new Promise((resolve) => { if (h.status === 'ready') resolve(); else { const off = h.onEvent((e) => { if (e.type === 'status' && e.status === 'ready') { off(); resolve(); } }); } }));
    }
    await Promise.all(ready);
    const after = await settled();
    return { handles, perSub: (after.heap - before.heap) / subs };
  };
  // Warm one of each first.
  await measure(() => link.subscribe('SELECT * FROM bench.rows', { id: 'warm0' })).catch(() => undefined);
  const plain = await measure((i) => link.subscribe(`SELECT * FROM bench.rows WHERE id > ${i}`, { id: `p${i}` }, () => {}));
  const live = await measure((i) => link.live(`SELECT * FROM bench.rows WHERE id > ${i}`, { id: `l${i}` }));
  await link.close();
  return { subs, clientHeapPerSub: plain.perSub, clientHeapPerLiveQuery: live.perSub };
}

export async function run({ side, conns = 1000, subs = 10_000, sameSql = false, heap = false, smaps = false }) {
  if (typeof globalThis.gc !== 'function') throw new Error('memory scenario needs --expose-gc');
  return side === 'client' ? clientSide({ subs }) : serverSide({ conns, subs, sameSql, heap, smaps });
}
