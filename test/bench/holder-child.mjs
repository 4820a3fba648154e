/**
 * A client process that only holds sockets: minimal msgpack protocol connections (upgrade with
 * `Authorization: Bearer`), each sending its subscribes and counting acks and change frames.
 * Used where the server's cost is measured and the client only has to exist (routing, memory).
 *
 * IPC: {cmd:'open', url, conns:[{token, subs:[sql]}]} → {ev:'ready', acks, errors};
 *      {cmd:'stats'} → {ev:'stats', changes}; {cmd:'exit'}.
 */
import { WebSocket } from 'ws';
import { Decoder, Encoder } from '@msgpack/msgpack';

const decoder = new Decoder({ useBigInt64: true });
const encoder = new Encoder({ useBigInt64: true });
const sockets = [];
let changes = 0;

function open(url, { token, subs }, index) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url}?serialization=msgpack&compression=none`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    sockets.push(ws);
    let acks = 0;
    let errors = 0;
    const settle = () => { if (acks + errors === subs.length) resolve({ acks, errors }); };
    ws.on('message', (data, isBinary) => {
      const m = isBinary ? decoder.decode(data) : JSON.parse(data.toString());
      if (m.type === 'change') changes++;
      else if (m.type === 'auth_success') {
        subs.forEach((sql, i) => ws.send(encoder.encode({ type: 'subscribe', subscription: { id: `c${index}s${i}`, sql } })));
        settle();
      } else if (m.type === 'subscription_ack') { acks++; settle(); }
      else if (m.type === 'error' || m.type === 'auth_error') {
        errors++;
        if (errors < 3) console.error(`holder: ${JSON.stringify(m)}`);
        if (m.type === 'auth_error') resolve({ acks, errors: subs.length });
        else settle();
      }
    });
    ws.on('error', (e) => { console.error(`holder socket error: ${e.message}`); resolve({ acks, errors: subs.length || 1 }); });
  });
}

process.on('message', async (msg) => {
  if (msg.cmd === 'open') {
    let acks = 0;
    let errors = 0;
    // A few at a time: thousands of simultaneous upgrades only measure the accept queue.
    for (let i = 0; i < msg.conns.length; i += 50) {
      const batch = await Promise.all(msg.conns.slice(i, i + 50).map((c, j) => open(msg.url, c, i + j)));
      for (const r of batch) { acks += r.acks; errors += r.errors; }
    }
    process.send({ ev: 'ready', acks, errors });
  } else if (msg.cmd === 'stats') {
    process.send({ ev: 'stats', changes });
  } else if (msg.cmd === 'exit') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
process.send({ ev: 'started' });
