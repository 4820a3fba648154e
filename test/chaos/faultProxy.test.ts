/**
 * Self-tests of the fault proxy against a plain `ws` echo server and raw TCP: every fault is
 * observable, bounded, and leaves no handle behind.
 */
import net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { FaultProxy } from '../support/faultProxy.js';

interface Echo {
  readonly port: number;
  readonly wss: WebSocketServer;
  close(): Promise<void>;
}

async function startEcho(): Promise<Echo> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected address');
  return {
    port: address.port,
    wss,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** A ws client that records messages and its close code. */
interface Client {
  readonly ws: WebSocket;
  readonly received: string[];
  readonly closed: Promise<number>;
  next(timeoutMs?: number): Promise<string | undefined>;
}

function connect(port: number): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  const received: string[] = [];
  const waiting: Array<(value: string) => void> = [];
  ws.on('message', (data) => {
    const text = String(data);
    const waiter = waiting.shift();
    if (waiter) waiter(text);
    else received.push(text);
  });
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const next = (timeoutMs = 2000): Promise<string | undefined> => {
    const ready = received.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(onMessage), 1);
        resolve(undefined);
      }, timeoutMs);
      const onMessage = (value: string): void => {
        clearTimeout(timer);
        resolve(value);
      };
      waiting.push(onMessage);
    });
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, received, closed, next }));
    ws.once('close', (code) => reject(new Error(`closed before open: ${code}`)));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('FaultProxy', () => {
  let echo: Echo;
  let proxy: FaultProxy;
  const clients: Client[] = [];

  beforeEach(async () => {
    echo = await startEcho();
    proxy = await FaultProxy.start({ targetPort: echo.port, seed: 42 });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.ws.terminate();
    await proxy.close();
    await echo.close();
  });

  async function open(): Promise<Client> {
    const client = await connect(proxy.port);
    clients.push(client);
    return client;
  }

  test('forwards both directions unchanged and counts the open pair', async () => {
    const client = await open();
    client.ws.send('hello');
    expect(await client.next()).toBe('hello');
    expect(proxy.activeCount).toBe(1);
    expect(proxy.stats.accepted).toBe(1);
    client.ws.close();
    expect(await client.closed).toBe(1005);
    await proxy.waitForActive(0, 2000);
  });

  test('refuse: new connections are accepted and destroyed at once, open ones keep working', async () => {
    const before = await open();
    proxy.refuse(true);
    await expect(connect(proxy.port)).rejects.toThrow(/closed before open/);
    expect(proxy.stats.refused).toBe(1);
    before.ws.send('still here');
    expect(await before.next()).toBe('still here');
    proxy.refuse(false);
    const after = await open();
    after.ws.send('back');
    expect(await after.next()).toBe('back');
  });

  test('dropAll: every open pair is destroyed abruptly (1006 on the client)', async () => {
    const a = await open();
    const b = await open();
    await proxy.waitForActive(2);
    proxy.dropAll();
    expect(await a.closed).toBe(1006);
    expect(await b.closed).toBe(1006);
    expect(proxy.activeCount).toBe(0);
    expect(proxy.stats.dropped).toBe(2);
  });

  test('blackhole: sockets stay open and nothing is forwarded either way; turning it off destroys the dead pairs', async () => {
    const client = await open();
    const [serverSide] = [...echo.wss.clients];
    proxy.blackhole(true);
    client.ws.send('lost');
    serverSide?.send('also lost');
    expect(await client.next(300)).toBeUndefined();
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect(serverSide?.readyState).toBe(WebSocket.OPEN);
    expect(proxy.activeCount).toBe(1);
    expect(proxy.stats.blackholedChunks).toBeGreaterThanOrEqual(2);
    // New connections during the blackhole get nowhere either: the upgrade never completes.
    const pending = new WebSocket(`ws://127.0.0.1:${proxy.port}/`);
    pending.on('error', () => undefined);
    const pendingClosed = new Promise<number>((resolve) => pending.once('close', (code) => resolve(code)));
    await proxy.waitForActive(2);
    await sleep(100);
    expect(pending.readyState).toBe(WebSocket.CONNECTING);
    proxy.blackhole(false);
    expect(await client.closed).toBe(1006);
    expect(await pendingClosed).toBe(1006);
    expect(proxy.activeCount).toBe(0);
    const fresh = await open();
    fresh.ws.send('healed');
    expect(await fresh.next()).toBe('healed');
  });

  test('latencyMs delays each chunk and preserves order', async () => {
    const client = await open();
    proxy.latencyMs = 80;
    const started = Date.now();
    for (let i = 0; i < 30; i++) client.ws.send(`m${i}`);
    const got: Array<string | undefined> = [];
    for (let i = 0; i < 30; i++) got.push(await client.next());
    expect(Date.now() - started).toBeGreaterThanOrEqual(160);
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
  });

  test('stallEvery holds every n-th chunk and preserves order', async () => {
    const client = await open();
    proxy.stallEvery(3, 40);
    const got: Array<string | undefined> = [];
    for (let i = 0; i < 12; i++) {
      client.ws.send(`s${i}`);
      got.push(await client.next());
    }
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => `s${i}`));
    expect(proxy.stats.stalls).toBeGreaterThanOrEqual(6);
  });

  test('bytesPerSec throttles a large message and delivers it intact', async () => {
    const client = await open();
    proxy.bytesPerSec = 100_000;
    const payload = 'x'.repeat(20_000);
    const started = Date.now();
    client.ws.send(payload);
    expect(await client.next(5000)).toBe(payload);
    // 20 kB up and 20 kB down at 100 kB/s per direction: at least ~0.2 s each way.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  test('sliceBytes fragments writes into tiny slices on the wire, bytes intact', async () => {
    const received: Buffer[] = [];
    const raw = net.createServer((socket) => socket.on('data', (data) => received.push(data)));
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', () => resolve()));
    const rawPort = (raw.address() as net.AddressInfo).port;
    proxy.setTarget(rawPort);
    proxy.sliceBytes = 3;
    const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251));
    socket.write(payload);
    const deadline = Date.now() + 3000;
    while (Buffer.concat(received).length < payload.length && Date.now() < deadline) await sleep(10);
    expect(Buffer.concat(received).equals(payload)).toBe(true);
    expect(received.length).toBeGreaterThan(20);
    expect(Math.max(...received.map((b) => b.length))).toBeLessThanOrEqual(12);
    socket.destroy();
    await proxy.waitForActive(0);
    await new Promise<void>((resolve) => raw.close(() => resolve()));
  });

  test('sliceBytes keeps a WebSocket conversation working', async () => {
    const client = await open();
    proxy.sliceBytes = 3;
    const payload = JSON.stringify({ type: 'change', rows: [{ id: 1, text: 'y'.repeat(500) }] });
    client.ws.send(payload);
    expect(await client.next(5000)).toBe(payload);
  });

  test('killRandom destroys the pair carrying a chunk (seeded), and stops when set to 0', async () => {
    const client = await open();
    proxy.killRandom(1);
    client.ws.send('doomed');
    expect(await client.closed).toBe(1006);
    expect(proxy.stats.killed).toBe(1);
    proxy.killRandom(0);
    const survivor = await open();
    survivor.ws.send('fine');
    expect(await survivor.next()).toBe('fine');
  });

  test('setTarget sends new connections to another upstream; an unreachable upstream closes the client', async () => {
    const other = await startEcho();
    try {
      proxy.setTarget(other.port);
      const client = await open();
      client.ws.send('other');
      expect(await client.next()).toBe('other');
      expect(other.wss.clients.size).toBe(1);
    } finally {
      await other.close();
    }
    await expect(connect(proxy.port)).rejects.toThrow(/closed before open/);
  });

  test('backpressure: a non-reading upstream bounds what the proxy queues', async () => {
    let upstream: net.Socket | undefined;
    const raw = net.createServer((socket) => {
      upstream = socket;
      socket.pause();
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', () => resolve()));
    proxy.setTarget((raw.address() as net.AddressInfo).port);
    const socket = net.connect({ port: proxy.port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const chunk = Buffer.alloc(64 * 1024, 7);
    let written = 0;
    while (socket.write(chunk) && written < 64 * 1024 * 1024) written += chunk.length;
    await sleep(200);
    expect(proxy.queuedBytes).toBeLessThanOrEqual(64 * 1024 * 2 + chunk.length);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    socket.destroy();
    upstream?.destroy();
    await proxy.waitForActive(0);
    await new Promise<void>((resolve) => raw.close(() => resolve()));
  });

  test('waitForActive rejects after its timeout', async () => {
    await expect(proxy.waitForActive(3, 50)).rejects.toThrow(/waitForActive\(3\)/);
  });

  test('close destroys open pairs and pending timers', async () => {
    const client = await open();
    proxy.latencyMs = 10_000;
    client.ws.send('never delivered');
    await sleep(20);
    await proxy.close();
    expect(await client.closed).toBe(1006);
    expect(proxy.activeCount).toBe(0);
  });
});
