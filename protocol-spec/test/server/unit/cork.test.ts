/**
 * Per-tick corking of fan-out writes (transport/cork.ts): one uncork per socket per tick, corked
 * bytes still count as buffered (the slow-consumer bound sees them), and an end() after sends
 * delivers them all first.
 */
import net from 'node:net';
import { TickCorker, type Corkable } from '../../../server/src/transport/cork.js';

class FakeSocket implements Corkable {
  depth = 0;
  writableLength = 0;
  readonly calls: string[] = [];
  cork(): void {
    this.depth++;
    this.calls.push('cork');
  }
  uncork(): void {
    if (this.depth > 0) this.depth--;
    this.calls.push('uncork');
  }
}

const nextTick = (): Promise<void> => new Promise((r) => process.nextTick(r));

test('corks each socket once per tick and uncorks every corked socket in the next tick', async () => {
  const corker = new TickCorker();
  const a = { socket: new FakeSocket(), corked: false };
  const b = { socket: new FakeSocket(), corked: false };
  for (let i = 0; i < 5; i++) corker.cork(a);
  corker.cork(b);
  expect([a.socket.depth, b.socket.depth]).toEqual([1, 1]);
  expect(a.corked).toBe(true);
  await nextTick();
  expect([a.socket.calls, b.socket.calls]).toEqual([
    ['cork', 'uncork'],
    ['cork', 'uncork'],
  ]);
  expect(a.corked).toBe(false);
  corker.cork(a); // a later tick corks again
  expect(a.socket.depth).toBe(1);
  await nextTick();
  expect(a.socket.depth).toBe(0);
});

test('flush writes out what a corked socket holds and keeps it corked until the tick ends', async () => {
  const corker = new TickCorker();
  const a = { socket: new FakeSocket(), corked: false };
  corker.flush(a); // not corked: nothing to do
  expect(a.socket.calls).toEqual([]);
  corker.cork(a);
  corker.flush(a);
  expect(a.socket.calls).toEqual(['cork', 'uncork', 'cork']);
  expect(a.socket.depth).toBe(1);
  await nextTick();
  expect(a.socket.depth).toBe(0);
});

test('on a real socket: corked writes count as buffered, leave together, and an end() after them delivers them in order', async () => {
  const received: Buffer[] = [];
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  const server = net.createServer((s) => {
    s.on('data', (d: Buffer) => received.push(d));
    s.on('end', () => {
      s.end();
      ended();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  try {
    const corker = new TickCorker();
    const slot = { socket: client, corked: false };
    const frames = Array.from({ length: 200 }, (_, i) => Buffer.from(`frame-${i};`));
    for (const f of frames) {
      corker.cork(slot);
      client.write(f);
    }
    // nothing has left yet: everything sits in the writable buffer that bufferedAmount reads
    expect(client.writableLength).toBe(frames.reduce((n, f) => n + f.byteLength, 0));
    client.end(); // a close right after sends: end() uncorks, the sends go first
    await done;
    expect(Buffer.concat(received).toString()).toBe(frames.map((f) => f.toString()).join(''));
  } finally {
    client.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('firstOrCork: the first frame of a tick goes out uncorked, the second corks the socket until the tick ends, and the next tick starts over', async () => {
  const corker = new TickCorker();
  const a = { socket: new FakeSocket(), corked: false };
  expect(corker.firstOrCork(a)).toBe(true);
  expect(a.socket.calls).toEqual([]);
  expect(corker.firstOrCork(a)).toBe(false);
  expect(corker.firstOrCork(a)).toBe(false);
  expect(a.socket.calls).toEqual(['cork']);
  corker.cork(a); // a ws.send in the same tick: already corked
  await nextTick();
  expect(a.socket.calls).toEqual(['cork', 'uncork']);
  expect(a.socket.depth).toBe(0);
  expect(corker.firstOrCork(a)).toBe(true); // a new tick
  await nextTick();
  expect(a.socket.calls).toEqual(['cork', 'uncork']);
  // a ws.send first corks; a framed write after it in the same tick stays behind it, corked
  corker.cork(a);
  expect(corker.firstOrCork(a)).toBe(false);
  await nextTick();
  expect(a.socket.calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
});
