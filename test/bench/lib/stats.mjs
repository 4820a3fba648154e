/** Small statistics and formatting helpers shared by every bench. */

/** Percentile (0–100) of an already sorted numeric array (nearest rank). */
export function percentileSorted(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** p50/p90/p99/max of a Float64Array (sorted in place). */
export function latencySummary(samples) {
  samples.sort();
  return {
    n: samples.length,
    p50: percentileSorted(samples, 50),
    p90: percentileSorted(samples, 90),
    p99: percentileSorted(samples, 99),
    max: samples.length ? samples[samples.length - 1] : NaN,
  };
}

/** Median of numbers (NaN-free input). */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Column-wise median of an array of flat result objects (each numeric field on its own). */
export function medianOfRuns(runs) {
  if (runs.length === 1) return { ...runs[0] };
  const out = { ...runs[0] };
  for (const key of Object.keys(runs[0])) {
    if (typeof runs[0][key] === 'number') out[key] = median(runs.map((r) => r[key]));
  }
  return out;
}

/** Human formatting: 3 significant digits, thousands separators for big values. */
export function fmt(value, unit = '') {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  let s;
  const abs = Math.abs(value);
  if (abs >= 1000) s = Math.round(value).toLocaleString('en-US');
  else if (abs >= 100) s = value.toFixed(0);
  else if (abs >= 10) s = value.toFixed(1);
  else if (abs >= 1) s = value.toFixed(2);
  else s = value.toPrecision(2);
  return unit ? `${s} ${unit}` : s;
}
