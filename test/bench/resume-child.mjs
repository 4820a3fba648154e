/**
 * Client process of the resume bench: one kalam-link with `subs` subscriptions
 * (`WHERE id >= k*100 AND id < k*100+100`, or with `overlap` every subscription matching every
 * row). After the parent drops the socket at time T0, it
 * reports when every subscription is ready again and has received its `missed` changes.
 *
 * Before the drop the subscriptions may first be live: with `warm` > 0 the parent writes `warm`
 * changes per subscription and this process reports `warmed` once every one has been delivered.
 *
 * IPC: {cmd:'start', url, token, subs, missed, warm, jitter, overlap} → {ev:'ready'};
 *      (warm > 0) → {ev:'warmed'} once subs × warm live inserts have arrived;
 *      {cmd:'dropped', t0, profile?} → {ev:'resumed', ...timings, clientProfile?}; {cmd:'exit'}.
 */
import { nowMs } from './lib/clock.mjs';

let link;
let subscriptions = [];
let pending = 0;
let warmPending = 0;
let t0 = NaN;
let cpu0;
/** With `profile`: a CPU profile of this (client) process over the measured interval. */
let profiler;
let done = null;
const marks = {};
let state = null;
let errorsLogged = 0;

function check() {
  if (done || Number.isNaN(t0) || pending > 0) return;
  const cpu = process.cpuUsage(cpu0);
  done = { allReadyMs: nowMs() - t0, clientCpuMs: (cpu.user + cpu.system) / 1000 };
  const resets = subscriptions.reduce((n, s) => n + s.resets, 0);
  const snapshots = subscriptions.reduce((n, s) => n + s.snapshotsAfterDrop, 0);
  const report = { ev: 'resumed', ...done, marks, resets, snapshots, inserts: subscriptions.reduce((n, s) => n + s.afterDrop, 0) };
  if (profiler === undefined) process.send(report);
  else void profiler.then((p) => p.stop('resume client')).then((clientProfile) => process.send({ ...report, clientProfile }));
}

process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'start') {
      const { createLink, Auth } = await import('@kalam/link');
      link = createLink({ url: msg.url, auth: Auth.jwt(msg.token), ...(msg.jitter ? {} : { reconnect: { random: () => 0 } }) });
      link.on('transition', (t) => {
        if (Number.isNaN(t0)) return;
        const k = `${t.to}`;
        if (marks[k] === undefined) marks[k] = nowMs() - t0;
      });
      const ready = [];
      for (let k = 0; k < msg.subs; k++) {
        const s = { beforeDrop: 0, afterDrop: 0, resets: 0, snapshotsAfterDrop: 0, ready: false, counted: false };
        subscriptions.push(s);
        ready.push(new Promise((resolve, reject) => {
          const sql = msg.overlap ? `SELECT * FROM bench.rows WHERE id <> ${-1 - k}` : `SELECT * FROM bench.rows WHERE id >= ${k * 100} AND id < ${k * 100 + 100}`;
          link.subscribe(sql, { id: `r${k}` }, (e) => {
            if (e.type === 'status' && e.status === 'ready') {
              if (!s.ready) { s.ready = true; resolve(); }
              if (s.counted && s.afterDrop >= msg.missed && s.statusReadyAfterDrop !== true) { s.statusReadyAfterDrop = true; }
            } else if (e.type === 'error') {
              if (!Number.isNaN(t0) && errorsLogged++ < 3) console.error(`resume-child: subscription r${k} error: ${e.error?.code} ${e.error?.message}`);
              if (e.fatal) reject(e.error);
            }
            else if (e.type === 'insert' && !Number.isNaN(t0)) {
              s.afterDrop++;
              if (s.afterDrop === msg.missed) { pending--; check(); }
            } else if (e.type === 'insert') {
              s.beforeDrop++;
              if (s.beforeDrop === (msg.warm ?? 0) && --warmPending === 0) process.send({ ev: 'warmed' });
            } else if (e.type === 'reset' && !Number.isNaN(t0)) s.resets++;
            else if (e.type === 'snapshot' && !Number.isNaN(t0)) s.snapshotsAfterDrop++;
          });
        }));
      }
      await Promise.all(ready);
      pending = msg.subs;
      warmPending = msg.warm > 0 ? msg.subs : 0;
      state = msg;
      process.send({ ev: 'ready' });
    } else if (msg.cmd === 'dropped') {
      if (msg.profile) profiler = import('./lib/profiler.mjs').then((m) => m.startProfiler());
      cpu0 = process.cpuUsage();
      t0 = msg.t0;
      check();
    } else if (msg.cmd === 'rearm') {
      // a rehearsal resume is over: count the next drop from scratch
      t0 = NaN;
      done = null;
      pending = state.subs;
      for (const k of Object.keys(marks)) delete marks[k];
      for (const s of subscriptions) {
        s.afterDrop = 0;
        s.resets = 0;
        s.snapshotsAfterDrop = 0;
      }
      process.send({ ev: 'rearmed' });
    } else if (msg.cmd === 'report') {
      const statuses = {};
      for (const info of link.listSubscriptions()) statuses[info.status] = (statuses[info.status] ?? 0) + 1;
      process.send({ ev: 'resumed', allReadyMs: NaN, incomplete: pending, marks, statuses, connection: link.getSnapshot().state, inserts: subscriptions.reduce((n, s) => n + s.afterDrop, 0) });
    } else if (msg.cmd === 'exit') {
      await link?.close();
      process.exit(0);
    }
  } catch (err) {
    console.error(err);
    process.send({ ev: 'error', message: String(err?.stack ?? err) });
  }
});
void state;
process.send({ ev: 'started' });
