#!/usr/bin/env node
/**
 * `npm run bench`: our stack and its baselines, side by side in one bounded run (issue 9).
 *
 *   node test/bench/run.mjs [--runs 3] [--only fanout,hotpath,routing,resume,memory,bundle]
 *
 * Each measurement runs in a fresh process (scenario.mjs). With --runs N every figure is the
 * median of its own N values. Prints a table (metric, value, baseline, ratio, target, result) and
 * writes JSON to test/bench/results/. Missed targets print FAIL; the exit code is non-zero only
 * when the bench itself crashed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runIsolated } from './lib/isolate.mjs';
import { medianOfRuns } from './lib/stats.mjs';
import { render } from './lib/table.mjs';

const SECTIONS = ['fanout', 'hotpath', 'routing', 'resume', 'memory', 'bundle'];

function parseArgs(argv) {
  const args = { runs: 1, only: SECTIONS, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') args.runs = Math.max(1, Number(argv[++i]));
    else if (a === '--only') args.only = argv[++i].split(',');
    else if (a === '--verbose' || a === '-v') args.verbose = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node test/bench/run.mjs [--runs N] [--only ' + SECTIONS.join(',') + '] [--verbose]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const raw = [];
  const ctx = {
    runs: args.runs,
    /** Run one scenario `runs` times in fresh processes; median per field. */
    async measure(spec, label, options) {
      const values = [];
      for (let i = 0; i < args.runs; i++) {
        const t = Date.now();
        const value = await runIsolated({ ...spec, label }, options);
        values.push(value);
        raw.push({ label, run: i + 1, value });
        log(`  ${label} [run ${i + 1}/${args.runs}, ${((Date.now() - t) / 1000).toFixed(1)} s]${args.verbose ? ' ' + JSON.stringify(value) : ''}`);
      }
      return medianOfRuns(values);
    },
    log,
  };
  const rows = [];
  const load = os.loadavg();
  log(`kalam bench: node ${process.version}, ${os.cpus().length} cpus, load ${load.map((x) => x.toFixed(2)).join(' ')}, runs ${args.runs}`);
  if (load[0] > os.cpus().length * 0.75) log(`warning: the machine is busy (load ${load[0].toFixed(1)} on ${os.cpus().length} cpus); throughput and latency figures will be low and noisy — rerun when idle, or with --runs 3`);
  for (const name of SECTIONS) {
    if (!args.only.includes(name)) continue;
    log(`[${name}]`);
    const section = await import(`./sections/${name}.mjs`);
    try {
      rows.push(...(await section.run(ctx)));
    } catch (err) {
      log(`  ${name} crashed: ${err?.stack ?? err}`);
      rows.push({ section: name, metric: `${name} (crashed)`, value: NaN, unit: '', baseline: null, ratio: NaN, target: '', pass: false, note: String(err?.message ?? err).split('\n')[0] });
      process.exitCode = 1;
    }
  }
  const table = render(rows);
  const endLoad = os.loadavg();
  console.log(`\nkalam bench ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cpus, load at start ${load[0].toFixed(1)}, at end ${endLoad[0].toFixed(1)}, ${args.runs} run(s) per figure (median)`);
  console.log(table);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = `${dir}bench-${stamp}.json`;
  const json = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), runs: args.runs, seconds: (Date.now() - started) / 1000, rows, raw };
  writeFileSync(file, JSON.stringify(json, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
  writeFileSync(`${dir}latest.json`, JSON.stringify(json, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
  log(`\nresults: ${file} (${json.seconds.toFixed(0)} s)`);
}

function log(line) {
  process.stderr.write(line + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
