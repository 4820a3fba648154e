/**
 * Item 1 baselines: the raw `ws` limit, socket.io and graphql-ws, saturated and paced, with the
 * tooling.md Part 2 method. Returns the measured figures for the other sections to compare with.
 */
export const SATURATED = { C: 100, N: 5000, warmup: 500, rate: 0 };
export const PACED = { C: 100, N: 1000, warmup: 200, rate: 200 };

export const TRANSPORTS = {
  raw: { transport: 'rawws', label: 'raw ws, frame once per broadcast', serverOptions: { preframed: true } },
  rawSend: { transport: 'rawws', label: 'raw ws, ws.send per client', serverOptions: { preframed: false } },
  socketio: { transport: 'socketio', label: 'socket.io room' },
  graphqlws: { transport: 'graphqlws', label: 'graphql-ws' },
};

export async function measureBaselines(ctx) {
  const sat = {};
  const paced = {};
  for (const [key, t] of Object.entries(TRANSPORTS)) {
    const N = key === 'graphqlws' ? 2000 : SATURATED.N; // graphql-ws is ~6× slower; keep the run short
    sat[key] = await ctx.measure({ kind: 'fanout', ...SATURATED, N, ...t }, `${t.label} saturated`);
  }
  for (const key of ['raw', 'socketio', 'graphqlws']) {
    const t = TRANSPORTS[key];
    paced[key] = await ctx.measure({ kind: 'fanout', ...PACED, ...t }, `${t.label} paced`);
  }
  return { sat, paced };
}
