/**
 * A userland TCP fault proxy for chaos tests: client ⇄ proxy ⇄ server, with faults injected
 * per connection pair and per chunk. Every fault is bounded and every timer is cleared by
 * {@link FaultProxy.close}, so tests leave no open handles.
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start({ targetPort: server.port, seed: 7 });
 * proxy.latencyMs = 50;
 * proxy.dropAll();
 * await proxy.close();
 * ```
 */
import net from 'node:net';
import { createRng, type Rng } from './rng.js';

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Port of the upstream server. */
  readonly targetPort: number;
  /** Host of the upstream server. @default '127.0.0.1' */
  readonly targetHost?: string;
  /** Port the proxy listens on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Seed of the RNG used by {@link FaultProxy.killRandom}. @default 1 */
  readonly seed?: number;
  /** Bytes queued in one direction before the source socket is paused (backpressure). @default 65536 */
  readonly highWaterMark?: number;
}

/** Counters of what the proxy did (for reports and assertions). */
export interface FaultProxyStats {
  /** Connections accepted and forwarded. */
  accepted: number;
  /** Connections accepted and destroyed at once while refusing. */
  refused: number;
  /** Pairs destroyed by {@link FaultProxy.dropAll}. */
  dropped: number;
  /** Pairs destroyed by {@link FaultProxy.killRandom}. */
  killed: number;
  /** Chunks delayed by {@link FaultProxy.stallEvery}. */
  stalls: number;
  /** Chunks discarded while blackholed. */
  blackholedChunks: number;
  /** Bytes forwarded (both directions). */
  bytesForwarded: number;
  /** Chunks forwarded (both directions, before slicing). */
  chunksForwarded: number;
}

/** Which way a pipe carries data. */
export type Direction = 'up' | 'down';

interface Chunk {
  readonly data: Buffer;
  readonly dueAt: number;
}

/** One direction of one pair: a serial, order-preserving queue of chunks. */
class Pipe {
  readonly queue: Chunk[] = [];
  queuedBytes = 0;
  chunkCount = 0;
  pumping = false;
  fromClosed = false;
  constructor(
    readonly pair: Pair,
    readonly direction: Direction,
    readonly from: net.Socket,
    readonly to: net.Socket,
  ) {}
}

/** One client connection and its upstream connection. */
class Pair {
  /** Half-open: blackholed once, never forwards again (a real half-open socket does not heal). */
  dead = false;
  closed = false;
  upstreamReady = false;
  readonly timers = new Set<{ cancel: () => void; resolve: () => void }>();
  readonly up: Pipe;
  readonly down: Pipe;
  constructor(
    readonly client: net.Socket,
    readonly upstream: net.Socket,
  ) {
    this.up = new Pipe(this, 'up', client, upstream);
    this.down = new Pipe(this, 'down', upstream, client);
  }
}

/** A TCP proxy that injects network faults. See the module docs. */
export class FaultProxy {
  /** Added to each chunk's delivery time, order-preserving. @default 0 */
  latencyMs = 0;
  /** Bandwidth cap per direction per pair, bytes per second; 0 = unlimited. @default 0 */
  bytesPerSec = 0;
  /** Forward each chunk as writes of at most this many bytes (each on its own turn of the event loop); 0 = whole chunks. @default 0 */
  sliceBytes = 0;
  /** Counters. */
  readonly stats: FaultProxyStats = {
    accepted: 0,
    refused: 0,
    dropped: 0,
    killed: 0,
    stalls: 0,
    blackholedChunks: 0,
    bytesForwarded: 0,
    chunksForwarded: 0,
  };

  private readonly server: net.Server;
  private readonly pairs = new Set<Pair>();
  private readonly waiters = new Set<() => void>();
  private readonly rng: Rng;
  private readonly highWaterMark: number;
  private targetPort: number;
  private readonly targetHost: string;
  private refusing = false;
  private blackholed = false;
  private stallN = 0;
  private stallMs = 0;
  private killProbability = 0;
  private closing = false;

  private constructor(server: net.Server, options: FaultProxyOptions) {
    this.server = server;
    this.targetPort = options.targetPort;
    this.targetHost = options.targetHost ?? '127.0.0.1';
    this.rng = createRng(options.seed ?? 1);
    this.highWaterMark = options.highWaterMark ?? 65536;
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Start a proxy listening on 127.0.0.1. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = net.createServer({ noDelay: true });
    const proxy = new FaultProxy(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  /** The port the proxy listens on. */
  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy is not listening');
    return address.port;
  }

  /** `http://127.0.0.1:<port>` — base URL for clients that go through the proxy. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open connection pairs (including blackholed ones). */
  get activeCount(): number {
    return this.pairs.size;
  }

  /** Bytes held in the proxy's queues (both directions, all pairs). */
  get queuedBytes(): number {
    let total = 0;
    for (const pair of this.pairs) total += pair.up.queuedBytes + pair.down.queuedBytes;
    return total;
  }

  /** Point new connections at another upstream port (e.g. a restarted server). */
  setTarget(port: number): void {
    this.targetPort = port;
  }

  /** While on, new connections are accepted and destroyed at once. */
  refuse(on = true): void {
    this.refusing = on;
  }

  /** Destroy every open pair abruptly (TCP reset on both sides). */
  dropAll(): void {
    for (const pair of [...this.pairs]) {
      this.stats.dropped++;
      this.destroyPair(pair, true);
    }
  }

  /**
   * While on, every open and new pair forwards nothing in either direction and its sockets stay
   * open (half-open). Pairs blackholed once stay dead; turning it off destroys them and lets new
   * connections through.
   */
  blackhole(on: boolean): void {
    this.blackholed = on;
    for (const pair of this.pairs) {
      if (on) this.kill(pair);
      else if (pair.dead) this.destroyPair(pair, true);
    }
  }

  /** Hold every n-th chunk of each direction for `ms` (order-preserving); `n = 0` turns it off. */
  stallEvery(n: number, ms: number): void {
    this.stallN = n;
    this.stallMs = ms;
  }

  /** Destroy the pair carrying a chunk with this probability (seeded); 0 turns it off. */
  killRandom(probability: number): void {
    this.killProbability = probability;
  }

  /** Remove every fault (latency, throttle, slicing, stalls, random kills, refusing, blackhole). */
  heal(): void {
    this.latencyMs = 0;
    this.bytesPerSec = 0;
    this.sliceBytes = 0;
    this.stallEvery(0, 0);
    this.killRandom(0);
    this.refuse(false);
    this.blackhole(false);
  }

  /** Resolve once exactly `n` pairs are open; reject after `timeoutMs`. */
  waitForActive(n: number, timeoutMs = 5000): Promise<void> {
    if (this.pairs.size === n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.pairs.size !== n) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`waitForActive(${n}): ${this.pairs.size} open after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Stop listening and destroy every pair and pending timer. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const pair of [...this.pairs]) this.destroyPair(pair, false);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    if (this.refusing || this.closing) {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted++;
    client.setNoDelay(true);
    const upstream = net.connect({ port: this.targetPort, host: this.targetHost, noDelay: true });
    upstream.on('error', () => undefined);
    const pair = new Pair(client, upstream);
    this.pairs.add(pair);
    this.notify();
    if (this.blackholed) pair.dead = true;
    upstream.once('connect', () => {
      pair.upstreamReady = true;
      void this.pump(pair.up);
    });
    for (const pipe of [pair.up, pair.down]) {
      pipe.from.on('data', (data: Buffer) => this.enqueue(pipe, data));
      pipe.from.on('close', () => this.onClose(pair, pipe.from));
    }
  }

  private enqueue(pipe: Pipe, data: Buffer): void {
    const pair = pipe.pair;
    if (pair.closed) return;
    if (pair.dead) {
      this.stats.blackholedChunks++;
      return;
    }
    pipe.queue.push({ data, dueAt: Date.now() + this.latencyMs });
    pipe.queuedBytes += data.length;
    if (pipe.queuedBytes > this.highWaterMark) pipe.from.pause();
    void this.pump(pipe);
  }

  /** Deliver queued chunks in order, applying the faults; one pump per pipe at a time. */
  private async pump(pipe: Pipe): Promise<void> {
    const pair = pipe.pair;
    if (pipe.pumping || (pipe.direction === 'up' && !pair.upstreamReady)) return;
    pipe.pumping = true;
    try {
      while (!pair.closed && pipe.queue.length > 0) {
        const chunk = pipe.queue[0]!;
        const wait = chunk.dueAt - Date.now();
        if (wait > 0) await this.sleep(pair, wait);
        pipe.chunkCount++;
        if (this.stallN > 0 && pipe.chunkCount % this.stallN === 0) {
          this.stats.stalls++;
          await this.sleep(pair, this.stallMs);
        }
        if (pair.closed) return;
        if (this.killProbability > 0 && this.rng.next() < this.killProbability) {
          this.stats.killed++;
          this.destroyPair(pair, true);
          return;
        }
        pipe.queue.shift();
        pipe.queuedBytes -= chunk.data.length;
        if (pair.dead) {
          this.stats.blackholedChunks++;
          continue;
        }
        this.stats.chunksForwarded++;
        await this.write(pipe, chunk.data);
        if (pipe.queuedBytes <= this.highWaterMark / 2 && pipe.from.isPaused()) pipe.from.resume();
      }
    } finally {
      pipe.pumping = false;
      if (pipe.fromClosed) this.finish(pipe);
    }
  }

  private async write(pipe: Pipe, data: Buffer): Promise<void> {
    const pair = pipe.pair;
    let offset = 0;
    while (offset < data.length && !pair.closed && !pair.dead) {
      const limit = this.pieceSize();
      const piece = limit > 0 ? data.subarray(offset, offset + limit) : data.subarray(offset);
      offset += piece.length;
      this.stats.bytesForwarded += piece.length;
      const flushed = pipe.to.write(piece);
      if (this.bytesPerSec > 0) await this.sleep(pair, (piece.length / this.bytesPerSec) * 1000);
      else if (this.sliceBytes > 0 && offset < data.length) await this.sleep(pair, 0);
      if (!flushed && !pair.closed) await this.drained(pipe.to, pair);
    }
  }

  private pieceSize(): number {
    const throttlePiece = this.bytesPerSec > 0 ? Math.max(1, Math.floor(this.bytesPerSec / 20)) : 0;
    if (this.sliceBytes > 0 && throttlePiece > 0) return Math.min(this.sliceBytes, throttlePiece);
    return this.sliceBytes > 0 ? this.sliceBytes : throttlePiece;
  }

  private drained(socket: net.Socket, pair: Pair): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
      if (pair.closed) done();
    });
  }

  /** A cancellable sleep (0 ms = the next turn of the event loop): destroying the pair resolves it at once. */
  private sleep(pair: Pair, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        pair.timers.delete(entry);
        resolve();
      };
      const entry = { cancel: () => undefined as void, resolve };
      if (ms <= 0) {
        const handle = setImmediate(done);
        entry.cancel = () => clearImmediate(handle);
      } else {
        const handle = setTimeout(done, ms);
        entry.cancel = () => clearTimeout(handle);
      }
      pair.timers.add(entry);
    });
  }

  private kill(pair: Pair): void {
    pair.dead = true;
    for (const pipe of [pair.up, pair.down]) {
      this.stats.blackholedChunks += pipe.queue.length;
      pipe.queue.length = 0;
      pipe.queuedBytes = 0;
      if (pipe.from.isPaused()) pipe.from.resume();
    }
  }

  /** One side closed: flush what it sent, then close the other side gracefully (half-open pairs stay open). */
  private onClose(pair: Pair, side: net.Socket): void {
    if (pair.closed) return;
    if (pair.dead) {
      if (pair.client.destroyed && pair.upstream.destroyed) this.destroyPair(pair, false);
      return;
    }
    const pipe = side === pair.client ? pair.up : pair.down;
    pipe.fromClosed = true;
    this.finish(pipe);
  }

  private finish(pipe: Pipe): void {
    const pair = pipe.pair;
    if (pair.closed || pipe.pumping || (pipe.queue.length > 0 && pair.upstreamReady)) return;
    if (pipe.to.destroyed || pipe.to.connecting) this.destroyPair(pair, false);
    else pipe.to.end(() => this.destroyPair(pair, false));
  }

  private destroyPair(pair: Pair, reset: boolean): void {
    if (pair.closed) return;
    pair.closed = true;
    for (const entry of pair.timers) {
      entry.cancel();
      entry.resolve();
    }
    pair.timers.clear();
    for (const socket of [pair.client, pair.upstream]) {
      if (reset && !socket.connecting && !socket.destroyed) socket.resetAndDestroy();
      else socket.destroy();
    }
    this.pairs.delete(pair);
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
