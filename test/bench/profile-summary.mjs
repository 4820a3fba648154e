#!/usr/bin/env node
/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time and, for
 * functions in this repo, by inclusive time.
 *
 *   node test/bench/profile-summary.mjs <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

export function summarize(profile, top = 25) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const f = n.callFrame;
    const url = f.url.replace(/^file:\/\//, '').replace(/^.*\/work\/main\//, '');
    return `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const bySelf = new Map();
  const byIncl = new Map();
  for (const [id, t] of self) {
    const n = nodes.get(id);
    const key = label(n);
    bySelf.set(key, (bySelf.get(key) ?? 0) + t);
    // inclusive: charge every distinct ancestor frame once
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = label(nodes.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      byIncl.set(k, (byIncl.get(k) ?? 0) + t);
    }
  }
  const pct = (t) => `${((100 * t) / total).toFixed(1)}%`;
  const sort = (m, filter = () => true) => [...m].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top);
  const ours = (k) => /(kalam-link|protocol-spec|sdk-typescript|sdk-react)\//.test(k);
  return {
    totalMs: total / 1000,
    self: sort(bySelf).map(([k, t]) => `${pct(t).padStart(6)}  ${k}`),
    oursInclusive: sort(byIncl, ours).map(([k, t]) => `${pct(t).padStart(6)}  ${k}`),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summarize(JSON.parse(readFileSync(process.argv[2], 'utf8')), Number(process.argv[3] ?? 25));
  console.log(`total sampled: ${s.totalMs.toFixed(0)} ms\n\nself time:\n${s.self.join('\n')}\n\nour code, inclusive:\n${s.oursInclusive.join('\n')}`);
}
