/** Item 3: per-change server cost with 10 vs 10,000 unrelated users' subscriptions. */
import { row } from '../lib/table.mjs';

const SECTION = '3 routing';

export async function run(ctx) {
  const small = await ctx.measure({ kind: 'routing', users: 10, subsPerUser: 1 }, 'routing, 10 unrelated subscriptions (10 users × 1)');
  const big = await ctx.measure({ kind: 'routing', users: 100, subsPerUser: 100 }, 'routing, 10,000 unrelated subscriptions (100 users × 100)');
  const note = (r) => (r.complete ? '' : `writer's subscription got ${r.delivered} of ${r.rows + 500} changes`);
  return [
    row({ section: SECTION, metric: 'server CPU per change (write+route+1 delivery), 10 unrelated subs', value: small.serverUsPerChange, unit: 'µs', note: note(small) }),
    row({
      section: SECTION, metric: '  same, 10,000 unrelated subs', value: big.serverUsPerChange, unit: 'µs',
      baseline: { label: '10 subs', value: small.serverUsPerChange }, target: '≤ 1.5× of 10 subs', pass: big.serverUsPerChange / small.serverUsPerChange <= 1.5, note: note(big),
    }),
  ];
}
