#!/usr/bin/env node
/**
 * Client-only micro-bench of a resume: the CPU one real kalam-link spends from a dropped socket to
 * `subs` subscriptions ready again with `missed` changes each, against a scripted server in a
 * child process that answers with pre-encoded frames (same key order and sizes as the reference
 * server's acks and catch-up changes), so the server's own cost and its variance stay out of the
 * figure. Every subscription first receives `missed` live changes (the resume scenario's `warm`);
 * then the same client is dropped `drops` times: drop 1 is the cold resume, the median of the
 * drops after the first `rehearsals + 1` is the warm one.
 *
 *   node test/bench/client-resume.mjs [subs=1000] [missed=10] [drops=10] [rehearsals=3] [profileDrop]
 *
 * Prints one JSON line: clientCpuMs per drop, `cold` (drop 1) and `warm` (median after the
 * rehearsals), and µs of client CPU per inbound message for both.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCHEMA = [
  { name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] },
  { name: 'title', data_type: 'Text', index: 1, flags: ['nn'] },
  { name: 'body', data_type: 'Text', index: 2, flags: ['nn'] },
  { name: 'ts', data_type: 'Double', index: 3, flags: ['nn'] },
];

async function serve() {
  const { WebSocketServer } = await import('ws');
  const { Encoder, Decoder } = await import('@msgpack/msgpack');
  const encoder = new Encoder({ useBigInt64: true });
  const decoder = new Decoder({ useBigInt64: true });
  const { missed, live } = JSON.parse(process.argv[3]);
  let seq = 1n << 58n;
  /** Last SeqId sent per subscription id. */
  const last = new Map();
  const sockets = new Set();
  /** Subscription ids of the last burst, in order. */
  let ids = [];
  const change = (id, k, n) => {
    const prev = last.get(id);
    const s = ++seq;
    last.set(id, s);
    return encoder.encode({ subscription_id: id, prev_seq: prev, type: 'change', change_type: 'insert', rows: [{ id: BigInt(k * 100 + n), title: 't', body: 'b', ts: 1.5, _seq: s }], seq: s });
  };
  const sendAll = (ws, frames) => {
    const raw = ws._socket;
    raw.cork();
    for (const f of frames) ws.send(f);
    raw.uncork();
  };
  const wss = new WebSocketServer({ port: 0 });
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    let pending = [];
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        ws.send(JSON.stringify({ type: 'auth_success', user: 'bench', role: 'user', protocol: { serialization: 'msgpack', compression: 'none' }, connection_id: 'c1' }));
        return;
      }
      const m = decoder.decode(data);
      if (m.type !== 'subscribe') return;
      pending.push(m.subscription);
      // answer once the whole burst is in: acks first, then the catch-up in log order (round-robin over subscriptions)
      if (pending.length < live) return;
      const subs = pending;
      pending = [];
      ids = subs.map((s) => s.id);
      const frames = [];
      for (const s of subs) {
        const from = s.options.from;
        if (from === undefined) {
          const at = seq;
          last.set(s.id, at);
          const batch = { batch_num: 0, has_more: false, status: 'ready', last_seq_id: at };
          frames.push(encoder.encode({ type: 'subscription_ack', subscription_id: s.id, total_rows: 0, batch_control: batch, schema: SCHEMA }));
          frames.push(encoder.encode({ type: 'initial_data_batch', subscription_id: s.id, rows: [], batch_control: batch }));
        } else {
          frames.push(encoder.encode({ type: 'subscription_ack', subscription_id: s.id, total_rows: 0, batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: from }, resumed: true, schema: SCHEMA }));
        }
      }
      if (subs[0].options.from !== undefined) for (let n = 0; n < missed; n++) subs.forEach((s, k) => frames.push(change(s.id, k, n)));
      sendAll(ws, frames);
    });
  });
  await new Promise((resolve) => wss.on('listening', resolve));
  process.on('message', (m) => {
    if (m.cmd === 'drop') for (const ws of sockets) ws.terminate();
    else if (m.cmd === 'live') {
      // live changes before any drop, as in the resume scenario's `warm`
      const frames = [];
      for (let n = 0; n < m.count; n++) ids.forEach((id, k) => frames.push(change(id, k, 50 + n)));
      for (const ws of sockets) sendAll(ws, frames);
    }
    else if (m.cmd === 'exit') { wss.close(); process.exit(0); }
  });
  process.send({ ev: 'listening', port: wss.address().port });
}

async function client() {
  const subs = Number(process.argv[2] ?? 1000);
  const missed = Number(process.argv[3] ?? 10);
  const drops = Number(process.argv[4] ?? 10);
  const rehearsals = Number(process.argv[5] ?? 3);
  /** With a drop number: a CPU profile of that drop in results/profiles/client-resume-drop<n>.cpuprofile. */
  const profileDrop = Number(process.argv[6] ?? 0);
  const server = fork(fileURLToPath(import.meta.url), ['--serve', JSON.stringify({ missed, live: subs })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve) => server.on('message', (m) => m.ev === 'listening' && resolve(m.port)));
  const { createLink, Auth } = await import('@kalam/link');
  const token = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"sub":"bench"}').toString('base64url')}.sig`;
  const link = createLink({ url: `http://127.0.0.1:${port}`, auth: Auth.jwt(token), reconnect: { random: () => 0 } });
  let pending = 0;
  let wake = () => undefined;
  const counts = new Array(subs).fill(0);
  const ready = [];
  for (let k = 0; k < subs; k++) {
    ready.push(new Promise((resolve) => {
      link.subscribe(`SELECT * FROM bench.rows WHERE id >= ${k * 100} AND id < ${k * 100 + 100}`, { id: `r${k}` }, (e) => {
        if (e.type === 'status' && e.status === 'ready') resolve();
        else if (e.type === 'insert' && ++counts[k] === missed && --pending === 0) wake();
        else if (e.type === 'reset' || e.type === 'snapshot' && e.rows.length > 0) throw new Error(`unexpected ${e.type} on r${k}`);
      });
    }));
  }
  await Promise.all(ready);
  // 10 live changes per subscription before the first drop (the resume scenario's `warm`)
  pending = subs;
  await new Promise((resolve) => {
    wake = resolve;
    server.send({ cmd: 'live', count: missed });
  });
  const cpuMs = [];
  for (let d = 0; d < drops; d++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    counts.fill(0);
    pending = subs;
    const done = new Promise((resolve) => { wake = resolve; });
    const profiler = d + 1 === profileDrop ? await (await import('./lib/profiler.mjs')).startProfiler() : undefined;
    const cpu0 = process.cpuUsage();
    server.send({ cmd: 'drop' });
    await done;
    const cpu = process.cpuUsage(cpu0);
    if (profiler !== undefined) console.error(JSON.stringify((await profiler.stop(`client-resume-drop${profileDrop}`)).file));
    cpuMs.push((cpu.user + cpu.system) / 1000);
  }
  await link.close();
  server.send({ cmd: 'exit' });
  const sorted = cpuMs.slice(rehearsals + 1).sort((a, b) => a - b);
  const warm = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const messages = subs * (missed + 1);
  const r1 = (x) => Math.round(x * 10) / 10;
  console.log(JSON.stringify({ subs, missed, drops, rehearsals, cold: r1(cpuMs[0]), warm: r1(warm), coldUsPerMessage: r1((cpuMs[0] * 1000) / messages), warmUsPerMessage: r1((warm * 1000) / messages), clientCpuMs: cpuMs.map(r1) }));
}

if (process.argv[2] === '--serve') await serve();
else await client();
