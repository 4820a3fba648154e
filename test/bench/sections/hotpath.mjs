/** Item 2: client hot path per change event, 1 vs 10,000 subscriptions, vs a bare decode. */
import { row } from '../lib/table.mjs';

const SECTION = '2 client hot path';

export async function run(ctx) {
  const one = await ctx.measure({ kind: 'hotpath', subs: 1 }, 'hot path, 1 subscription');
  const many = await ctx.measure({ kind: 'hotpath', subs: 10_000 }, 'hot path, 10,000 subscriptions');
  const bigSet = await ctx.measure({ kind: 'hotpath', subs: 1, resultRows: 10_000, rounds: 5 }, 'hot path, 1 subscription, 10,000-row result set');
  const decode = { label: 'bare msgpack decode', value: one.decodeNs / 1000 };
  const note = (r) => (r.verified ? '' : `verification failed: ${JSON.stringify({ liveCalls: r.liveCalls, plainCalls: r.plainCalls, events: r.events })}`);
  const flat = many.liveNs / one.liveNs;
  return [
    row({ section: SECTION, metric: `bare @msgpack/msgpack decode of the same ${one.frameBytes}-B update frame`, value: one.decodeNs / 1000, unit: 'µs' }),
    row({ section: SECTION, metric: 'link.live (decode+lookup+seq+LiveRows+listener), 1 sub', value: one.liveNs / 1000, unit: 'µs', baseline: decode, note: note(one) }),
    row({ section: SECTION, metric: '  same, 10,000 subs on the socket', value: many.liveNs / 1000, unit: 'µs', baseline: { label: '1 sub', value: one.liveNs / 1000 }, target: '≤ 1.5× of 1 sub', pass: flat <= 1.5, note: note(many) }),
    row({ section: SECTION, metric: '  link.live, 1 sub, result set of 10,000 rows (not 100)', value: bigSet.liveNs / 1000, unit: 'µs', baseline: { label: '100 rows', value: one.liveNs / 1000 }, target: '(informational)', note: note(bigSet) }),
    row({ section: SECTION, metric: 'link.subscribe listener (no LiveRows), 1 sub', value: one.listenerNs / 1000, unit: 'µs', baseline: decode }),
    row({ section: SECTION, metric: '  same, 10,000 subs on the socket', value: many.listenerNs / 1000, unit: 'µs', baseline: { label: '1 sub', value: one.listenerNs / 1000 }, target: '≤ 1.5× of 1 sub', pass: many.listenerNs / one.listenerNs <= 1.5 }),
  ];
}
