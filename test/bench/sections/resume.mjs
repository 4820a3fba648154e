/** Item 4: time from a dropped socket to 1,000 subscriptions ready again with 10 missed changes each. */
import { row } from '../lib/table.mjs';

const SECTION = '4 resume';

function resumeRow(r, metric, target) {
  const expected = r.subs * r.missed;
  const ok = r.inserts === expected && !r.resets && !r.snapshots;
  const phases = r.marks ? Object.entries(r.marks).sort((a, b) => a[1] - b[1]).map(([k, v]) => `${k} +${v.toFixed(0)} ms`).join(', ') : '';
  const value = ok ? r.allReadyMs : NaN;
  return row({
    section: SECTION, metric, value, unit: 'ms', target: target ? '< 250 ms' : '(informational)', pass: target ? ok && value < 250 : null,
    note: `${ok ? '' : `NOT DONE within ${r.capMs / 1000} s: ${r.inserts}/${expected} missed changes delivered${r.resets ? `, ${r.resets} resets` : ''}; `}log holds ${r.logEntries} changes; CPU from the drop to all-ready: server ${r.serverCpuMs?.toFixed(0)} ms, client ${r.clientCpuMs?.toFixed(0)} ms; link after the drop: ${phases}`,
  });
}

export async function run(ctx) {
  // Steady state: live subscriptions (10 changes each delivered before the drop) of a client meeting its first drop, on a server that has resumed another client 3 times before (scenarios/resume.mjs `warm`, `rehearsals`).
  const distinct = await ctx.measure({ kind: 'resume', subs: 1000, missed: 10 }, 'resume 1,000 live subs × 10 missed changes (distinct rows, 10,000 missed in the log), warm server');
  const first = await ctx.measure({ kind: 'resume', subs: 1000, missed: 10, rehearsals: 0 }, 'resume 1,000 live subs × 10 missed changes, first resume of a fresh server');
  const cold = await ctx.measure({ kind: 'resume', subs: 1000, missed: 10, warm: 0, rehearsals: 0 }, 'resume 1,000 subs that never received a change × 10 missed changes, fresh server');
  const wide = await ctx.measure({ kind: 'resume', subs: 1000, missed: 10, wide: true }, 'resume 1,000 live subs × 10 missed changes of 30+75-character text rows, warm server');
  const overlap = await ctx.measure({ kind: 'resume', subs: 1000, missed: 10, overlap: true }, 'resume 1,000 live subs × the same 10 missed changes, warm server');
  return [
    resumeRow(distinct, 'drop → 1,000 live subs ready + 10 missed each (10,000 distinct changes), server warm', true),
    resumeRow(first, '  same, the first resume of a fresh server process (V8 still compiling its resume path)', false),
    resumeRow(cold, '  same, fresh server, subs that had received no change before the drop (cold client change path)', false),
    resumeRow(wide, '  same as the first row, missed rows with the fan-out\'s 30- and 75-character strings', false),
    resumeRow(overlap, '  same as the first row, all 1,000 subs missed the same 10 changes', false),
    row({ section: SECTION, metric: '  (link defaults: the first retry after a ready connection waits U[0, 100 ms), included)', value: NaN }),
  ];
}
