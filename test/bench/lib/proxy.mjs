/**
 * A TCP pass-through for one upstream port that can freeze the server→client direction (bytes
 * held back, as on a stalled network) and then drop every connection at once.
 */
import net from 'node:net';

export async function startProxy(upstreamPort) {
  const pairs = new Set();
  let frozen = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair = { client, upstream, frozen: false };
    pairs.add(pair);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => { if (!pair.frozen) client.write(d); });
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
    /** Destroy every connection (client sees an abnormal close, the server a vanished peer). */
    dropAll() { for (const p of [...pairs]) { p.client.destroy(); p.upstream.destroy(); } pairs.clear(); },
    close() { for (const p of [...pairs]) { p.client.destroy(); p.upstream.destroy(); } return new Promise((resolve) => server.close(resolve)); },
  };
}
