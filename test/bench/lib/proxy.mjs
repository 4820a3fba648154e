/**
 * A TCP pass-through for one upstream port that can freeze the server→client direction (bytes
 * held back, as on a stalled network) and then drop every connection at once.
 */
import net from 'node:net';
import { nowMs } from './clock.mjs';

export async function startProxy(upstreamPort) {
  const pairs = new Set();
  let frozen = false;
  /** Byte timeline of connections made since {@link trace} (diagnostics: who waits for whom). */
  let traced = null;
  const mark = (dir, n) => {
    if (traced === null) return;
    const t = nowMs() - traced.t0;
    const d = traced[dir];
    if (d.bytes === 0) d.firstMs = t;
    d.lastMs = t;
    d.bytes += n;
    d.chunks++;
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair = { client, upstream, frozen: false };
    pairs.add(pair);
    client.on('data', (d) => { if (!pair.frozen) mark('c2s', d.length); upstream.write(d); });
    upstream.on('data', (d) => { if (!pair.frozen) { mark('s2c', d.length); client.write(d); } });
    const end = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
    if (frozen) pair.frozen = true;
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    get connections() { return pairs.size; },
    /** Stop forwarding server → client on the current connections (the bytes are lost). */
    freeze() { for (const p of pairs) p.frozen = true; },
    /** Start a byte timeline (ms after `t0`, clock.mjs) of the traffic of connections opened from now on. */
    trace(t0) {
      traced = { t0, c2s: { bytes: 0, chunks: 0, firstMs: NaN, lastMs: NaN }, s2c: { bytes: 0, chunks: 0, firstMs: NaN, lastMs: NaN } };
    },
    /** The timeline since {@link trace}: first/last byte and totals per direction. */
    get traced() { return traced === null ? null : { c2s: { ...traced.c2s }, s2c: { ...traced.s2c } }; },
    /** Destroy every connection (client sees an abnormal close, the server a vanished peer). */
    dropAll() { for (const p of [...pairs]) { p.client.destroy(); p.upstream.destroy(); } pairs.clear(); },
    close() { for (const p of [...pairs]) { p.client.destroy(); p.upstream.destroy(); } return new Promise((resolve) => server.close(resolve)); },
  };
}
