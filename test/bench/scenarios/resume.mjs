/**
 * Item 4: resume. One kalam-link (child process) holds `subs` subscriptions through a TCP proxy.
 * The proxy freezes server→client traffic, the writer commits `missed` changes for every
 * subscription (they reach the frozen socket, never the client), then every connection is
 * dropped at T0. Figure: T0 → every subscription ready again with its `missed` changes
 * (monotonic clock shared by both processes). `jitter: false` sets the link's first-retry jitter
 * to 0; by default the link's own first retry after a ready connection waits U[0, 100 ms)
 * (`firstRetryMaxDelayMs`), and that wait is part of the measured time. `serverCpuMs` /
 * `clientCpuMs`: CPU time of the server process (with the proxy) and of the client process over
 * the same interval. `wire`: when the resumed connection's bytes passed the proxy, per direction
 * (first/last byte in ms after T0, bytes, reads) — who waited for whom. Distinct ranges
 * (default): the table's log holds subs × missed changes; `overlap`: only `missed`.
 *
 * `warm` (default 10): before the freeze, the subscriptions are live — `warm` changes per
 * subscription are written and delivered first, so the drop finds what an application running for
 * a while has (positions advanced by changes, not just by the snapshot; the link's change path
 * already exercised) and the log also holds those changes ahead of the missed ones. `warm: 0` is
 * the drop of a client that has never received a change (its first change events run cold code).
 * `rehearsals` (default 3): before the measured drop, the server resumes ANOTHER client (its own
 * process and proxy, the same subscriptions) that many times, each in full, as a server that has
 * been running has resumed clients before. The measured client still meets its own first drop
 * (its resume path is as cold as in an application's first outage; its change path is warm).
 * Until a server has resumed a few clients V8 is still compiling its resume path: on its first
 * resume the server spent more CPU on background JIT compilation than on the resume itself (perf,
 * session 4), competing for the 2 cores with both processes. `rehearsals: 0` measures the first
 * resume of a fresh server.
 * `wide: true`: the missed rows carry the fan-out's 30-character title and 75-character body
 * (lib/payload.mjs) instead of one-character strings.
 */
import { startKalam } from '../lib/kalamServer.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { forkChild } from '../lib/child.mjs';
import { nowMs, sleep } from '../lib/clock.mjs';
import { TITLE, BODY } from '../lib/payload.mjs';

export async function run({ subs = 1000, missed = 10, warm = 10, rehearsals = 3, wide = false, jitter = true, overlap = false, profile = false, capMs = 15_000 }) {
  // row ids of subscription k: k*100 + [0, missed) measured, + [20, 50) rehearsals, + [50, 100) warm
  if (missed > 10 || rehearsals > 3 || warm > 50) throw new Error('resume: at most 10 missed changes, 3 rehearsals and 50 warm changes per subscription');
  const kalam = await startKalam();
  const proxy = await startProxy(kalam.server.port);
  const child = await forkChild('resume-child.mjs');
  // the rehearsals' client: its own process and proxy, the same subscriptions, no first-retry jitter (only its resumes matter, not their timing)
  const rehearser = rehearsals > 0 ? { proxy: await startProxy(kalam.server.port), child: await forkChild('resume-child.mjs') } : undefined;
  try {
    await child.request({ cmd: 'start', url: `http://127.0.0.1:${proxy.port}`, token: kalam.token, subs, missed, warm, jitter, overlap }, 'ready', 120_000);
    if (rehearser) await rehearser.child.request({ cmd: 'start', url: `http://127.0.0.1:${rehearser.proxy.port}`, token: kalam.token, subs, missed, warm, jitter: false, overlap }, 'ready', 120_000);
    // Rows `from..from+count` of every subscription's id range (overlap: ids from..from+count, which every subscription matches).
    const rowIds = (from, count) => {
      const ids = [];
      if (overlap) for (let j = 0; j < count; j++) ids.push(from + j);
      else for (let j = 0; j < count; j++) for (let k = 0; k < subs; k++) ids.push(k * 100 + from + j);
      return ids;
    };
    const insert = async (ids) => {
      for (let i = 0; i < ids.length; i += 1000) {
        const text = wide ? `'${TITLE}', '${BODY}'` : "'t', 'b'";
        const values = ids.slice(i, i + 1000).map((id) => `(${id}, ${text}, 1.5)`).join(', ');
        await kalam.sql(`INSERT INTO bench.rows (id, title, body, ts) VALUES ${values}`);
      }
    };
    if (warm > 0) {
      const warmed = Promise.all([child.wait('warmed', 60_000), rehearser?.child.wait('warmed', 60_000)]);
      await insert(rowIds(50, warm));
      await warmed;
    }
    // the server resumes the other client in full `rehearsals` times (the measured client gets those changes live)
    for (let i = 0; rehearser !== undefined && i < rehearsals; i++) {
      await sleep(100);
      rehearser.proxy.freeze();
      await insert(rowIds(20 + i * 10, missed));
      await sleep(100);
      const back = rehearser.child.wait('resumed', capMs);
      rehearser.proxy.dropAll();
      rehearser.child.process.send({ cmd: 'dropped', t0: nowMs() });
      const r = await back;
      if (r.inserts !== subs * missed) throw new Error(`resume rehearsal ${i + 1}: ${r.inserts}/${subs * missed} missed changes delivered`);
      await rehearser.child.request({ cmd: 'rearm' }, 'rearmed', 10_000);
    }
    // gone before the measured phase: it must not receive (and spend CPU on) the measured changes
    if (rehearser !== undefined) {
      await rehearser.child.exit();
      await rehearser.proxy.close();
    }
    await sleep(200);
    proxy.freeze();
    const ids = rowIds(0, missed);
    await insert(ids);
    await sleep(100);
    const profiler = profile ? await (await import('../lib/profiler.mjs')).startProfiler() : null;
    const cpu0 = process.cpuUsage();
    const t0 = nowMs();
    proxy.dropAll();
    proxy.trace(t0);
    const resumed = child.wait('resumed', capMs).catch(async () => child.request({ cmd: 'report' }, 'resumed', 5_000));
    child.process.send({ cmd: 'dropped', t0, profile });
    const r = await resumed;
    const cpu = process.cpuUsage(cpu0);
    // CPU of this process (server + proxy) from the drop to all-ready: a figure the machine's other load does not inflate as much as wall time
    r.serverCpuMs = (cpu.user + cpu.system) / 1000;
    r.serverSysMs = cpu.system / 1000;
    // when the resumed connection's bytes passed the proxy (ms after T0): client → server (authenticate, subscribes), server → client
    r.wire = proxy.traced;
    const prof = profiler ? await profiler.stop(`resume ${subs}`) : undefined;
    return { subs, missed, warm, wide, jitter, overlap, logEntries: ids.length * (1 + rehearsals) + (overlap ? warm : warm * subs), capMs, ...r, ...(prof ? { profile: prof } : {}) };
  } finally {
    await child.exit();
    await rehearser?.child.exit();
    await proxy.close();
    await rehearser?.proxy.close();
    await kalam.close();
  }
}
