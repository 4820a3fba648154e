/**
 * The writer process of a kalam fan-out run: posts the HTTP SQL INSERTs, so the HTTP client's CPU
 * is not charged to the server under test (in production the writer is another process). Each row
 * carries this process's `process.hrtime` timestamp, taken just before the request;
 * CLOCK_MONOTONIC is machine-wide, so the clients' child can subtract it.
 *
 * Saturated runs: the orchestrator sends `{cmd: 'insert', first, n}` and gets `{ev: 'inserted'}`
 * back per request (its window and pump decide). Paced runs: `{cmd: 'pace', ...}` and this process
 * paces itself, so the server process is not woken by a pacing timer or by per-request IPC that a
 * real external writer would not cause. It pauses before the first measured broadcast until the
 * orchestrator (which starts its CPU and wall clocks then) says `go`, and it never runs more than
 * `window` broadcasts ahead of the slowest client: when blocked it says so and waits for
 * `{cmd: 'progress', min}`.
 *
 * Other IPC in: `{cmd: 'config', url, token, groups}`, `{cmd: 'go'}`, `{cmd: 'stats'}`,
 * `{cmd: 'exit'}`. Out: `{ev: 'started'}`, `{ev: 'measuring'}`, `{ev: 'blocked'}`,
 * `{ev: 'stats', writeMs}` (request → response round trips), `{ev: 'error', message}`.
 */
import { insertSql } from './lib/kalamServer.mjs';
import { postJson, closeAgent } from './lib/kalamHttp.mjs';
import { nowMs } from './lib/clock.mjs';

let config;
const writeMs = [];

function insert(first, n, done) {
  const ts = nowMs();
  postJson(config.url, '/v1/api/sql', { sql: insertSql(first, n, ts, config.groups) }, config.auth).then((res) => {
    if (res.status !== 200) process.send({ ev: 'error', message: `bench insert failed: ${res.status} ${JSON.stringify(res.body)}` });
    else done(nowMs() - ts);
  }, (err) => process.send({ ev: 'error', message: String(err?.stack ?? err) }));
}

/** Self-paced run: `total` broadcasts of `batch` rows at most, `rate` per second. */
function pace({ rate, total, warmup, window, inflight, batch }) {
  const interval = 1000 / rate;
  const tStart = nowMs();
  let sent = 0;
  let pending = 0;
  let minProgress = 0;
  let waitingGo = false;
  let blocked = false;
  let timer;
  const tick = () => {
    clearTimeout(timer);
    timer = undefined;
    if (waitingGo) return;
    const due = Math.min(total, Math.floor((nowMs() - tStart) / interval) + 1);
    while (sent < due && pending < inflight) {
      if (sent === warmup && !pace.measuring) {
        pace.measuring = true;
        waitingGo = true;
        pace.go = () => { waitingGo = false; tick(); };
        process.send({ ev: 'measuring' });
        return;
      }
      const room = window - (sent - minProgress);
      if (room <= 0) {
        if (!blocked) { blocked = true; process.send({ ev: 'blocked' }); }
        return;
      }
      const end = sent < warmup ? warmup : due;
      const k = Math.min(batch, end - sent, room);
      pending++;
      insert(sent + 1, k, (ms) => {
        pending--;
        writeMs.push(ms);
        tick();
      });
      sent += k;
    }
    if (sent < total && pending < inflight) timer = setTimeout(tick, Math.max(0, tStart + sent * interval - nowMs()));
  };
  pace.progress = (min) => {
    if (min > minProgress) minProgress = min;
    if (blocked) { blocked = false; tick(); }
  };
  tick();
}

process.on('message', (msg) => {
  if (msg.cmd === 'insert') insert(msg.first, msg.n, (ms) => process.send({ ev: 'inserted', ms }));
  else if (msg.cmd === 'pace') pace(msg);
  else if (msg.cmd === 'go') pace.go?.();
  else if (msg.cmd === 'progress') pace.progress?.(msg.min);
  else if (msg.cmd === 'stats') process.send({ ev: 'stats', writeMs });
  else if (msg.cmd === 'config') config = { url: msg.url, groups: msg.groups, auth: { authorization: `Bearer ${msg.token}` } };
  else if (msg.cmd === 'exit') {
    closeAgent();
    process.exit(0);
  }
});
process.send({ ev: 'started' });
