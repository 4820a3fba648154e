/** Item 5: server RSS per idle connection and per subscription; client heap per subscription. */
import { row } from '../lib/table.mjs';

const SECTION = '5 memory';
const KB = 1024;

export async function run(ctx) {
  const server = await ctx.measure({ kind: 'memory', side: 'server', conns: 1000, subs: 10_000 }, 'server memory, 1,000 idle connections, 10,000 subscriptions', { execArgv: ['--expose-gc'], timeoutMs: 300_000 });
  const client = await ctx.measure({ kind: 'memory', side: 'client', subs: 10_000 }, 'client heap, 10,000 subscriptions', { execArgv: ['--expose-gc'] });
  return [
    row({ section: SECTION, metric: 'server RSS per idle authenticated connection (1,000)', value: server.rssPerConn / KB, unit: 'KB', note: `V8 heap share ${(server.heapPerConn / KB).toFixed(1)} KB` }),
    row({ section: SECTION, metric: 'server RSS per subscription (10,000 on 10 connections)', value: server.rssPerSub / KB, unit: 'KB', target: '≤ 2 KB', pass: server.rssPerSub <= 2 * KB, note: `measured once V8 has shrunk its young generation back (idle, default flags); right after the burst, young generation still grown: ${(server.rssPerSubBurst / KB).toFixed(2)} KB; V8 heap share ${(server.heapPerSub / KB).toFixed(2)} KB per subscription` }),
    row({ section: SECTION, metric: 'client heap per subscription (link.subscribe, 10,000)', value: client.clientHeapPerSub / KB, unit: 'KB' }),
    row({ section: SECTION, metric: 'client heap per live query (link.live, 10,000)', value: client.clientHeapPerLiveQuery / KB, unit: 'KB' }),
  ];
}
