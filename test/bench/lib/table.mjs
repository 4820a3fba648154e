/** The result table: rows of {section, metric, value, unit, baseline, ratio, target, pass}. */
import { fmt } from './stats.mjs';

/**
 * A table row. `pass` is true/false against `target`, or null when the row is informational.
 * `baseline` is `{label, value}` or null; `ratio` = value / baseline.value unless given.
 */
export function row({ section, metric, value, unit = '', baseline = null, ratio, target = '', pass = null, note = '' }) {
  const r = ratio ?? (baseline && Number.isFinite(baseline.value) && baseline.value !== 0 ? value / baseline.value : NaN);
  return { section, metric, value, unit, baseline, ratio: r, target, pass, note };
}

function pad(s, n) {
  s = String(s);
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Render rows as a fixed-width text table. */
export function render(rows) {
  const cells = rows.map((r) => [
    r.section,
    r.metric,
    fmt(r.value, r.unit),
    r.baseline ? `${fmt(r.baseline.value, r.unit)} (${r.baseline.label})` : '',
    Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}×` : '',
    r.target,
    r.pass === null ? '' : r.pass === 'skip' ? 'SKIP' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const head = ['#', 'metric', 'value', 'baseline', 'ratio', 'target', 'result'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (c) => c.map((x, i) => pad(x, widths[i])).join(' | ').trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('-|-')];
  for (const c of cells) out.push(line(c));
  const notes = new Map();
  for (const r of rows) if (r.note) notes.set(r.note, [...(notes.get(r.note) ?? []), `${r.metric.trim()}`]);
  if (notes.size) out.push('', 'notes:', ...[...notes].map(([note, metrics]) => `  ${metrics.join('; ')}: ${note}`));
  return out.join('\n');
}
