/**
 * Test harness for the reference server: a real server on port 0 over a real RocksDB in a temp
 * dir, HTTP helpers, and a protocol client over a real `ws` socket using the real codecs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { WebSocket } from 'ws';
import {
  type ClientMessage,
  type Codec,
  type Compression,
  createCodec,
  decodeFrame,
  type Serialization,
  type ParamValue,
  type ServerMessage,
  type SubscriptionOptions,
} from '@kalam/link/protocol';
import { startServer, type KalamServer, type ServerOptions } from '../../../server/src/index.js';

export const ADMIN_PASSWORD = 'admin-test-password';
export const JWT_SECRET = 'server-test-secret-0123456789abcdef';

/** A server under test. */
export interface Harness {
  server: KalamServer;
  readonly dataDir: string;
  readonly url: () => string;
  readonly wsUrl: () => string;
  adminToken: string;
  /** Close and start again on the same data dir (and port 0). */
  restart(overrides?: Partial<ServerOptions>): Promise<void>;
  /** Close the server, run `between` (e.g. poke the data dir), start again. */
  restartWith(between: () => Promise<void>, overrides?: Partial<ServerOptions>): Promise<void>;
  /** Close the server and remove the data dir. */
  close(): Promise<void>;
}

/** Start a server in a fresh temp dir. */
export async function startHarness(options: Partial<ServerOptions> = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'kalam-srv-'));
  const base = { port: 0, adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET, ...options, dataDir };
  let server: KalamServer;
  try {
    server = await startServer(base);
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const h: Harness = {
    server,
    dataDir,
    url: () => h.server.url,
    wsUrl: () => `${h.server.url.replace(/^http/, 'ws')}/v1/ws`,
    adminToken: '',
    async restart(overrides = {}) {
      await h.server.close();
      h.server = await startServer({ ...base, ...overrides });
    },
    async restartWith(between, overrides = {}) {
      await h.server.close();
      await between();
      h.server = await startServer({ ...base, ...overrides });
    },
    async close() {
      await h.server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  h.adminToken = (await login(h.url(), 'admin', ADMIN_PASSWORD)).access_token;
  return h;
}

/** Login response body. */
export interface LoginBody {
  access_token: string;
  token_type: string;
  expires_at: string;
  expires_at_ms: number;
  user: string;
  role: string;
}

/** POST /v1/api/auth/login; throws on non-200. */
export async function login(url: string, username: string, password: string): Promise<LoginBody> {
  const res = await fetch(`${url}/v1/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()) as LoginBody;
}

/** Raw SQL response. */
export interface SqlResponse {
  readonly status: number;
  readonly body: {
    status: 'success' | 'error';
    results?: Array<{ columns: Array<{ name: string }>; rows: Array<Record<string, unknown>>; row_count: number; last_seq?: string }>;
    error?: { code: string; message: string };
  };
}

/** POST /v1/api/sql. */
export async function sqlRaw(url: string, token: string, sql: string, params?: unknown[]): Promise<SqlResponse> {
  const res = await fetch(`${url}/v1/api/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(params === undefined ? { sql } : { sql, params }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
  });
  return { status: res.status, body: (await res.json()) as SqlResponse['body'] };
}

/** POST /v1/api/sql, throwing unless it succeeded; returns the results. */
export async function sql(url: string, token: string, text: string, params?: unknown[]): Promise<NonNullable<SqlResponse['body']['results']>> {
  const r = await sqlRaw(url, token, text, params);
  if (r.status !== 200 || r.body.status !== 'success') throw new Error(`SQL failed (${r.status}): ${JSON.stringify(r.body.error)} — ${text}`);
  return r.body.results ?? [];
}

/** Create user `name` (role user) with password `pw` and return a token for it. */
export async function createUser(h: Harness, name: string, role: 'user' | 'dba' = 'user'): Promise<string> {
  await sql(h.url(), h.adminToken, `CREATE USER ${name} WITH PASSWORD '${name}-pw' ROLE ${role}`);
  return (await login(h.url(), name, `${name}-pw`)).access_token;
}

/** How a socket ended. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  readonly serialization?: Serialization;
  readonly compression?: Compression;
  /** Authenticate with the upgrade header instead of a message. */
  readonly headerAuth?: boolean;
  /** Send `authenticate` without a `protocol` field (JSON/none default). */
  readonly omitProtocol?: boolean;
  /** Extra upgrade headers. */
  readonly headers?: Record<string, string>;
}

type Predicate = (m: ServerMessage) => boolean;

/** A protocol client over a real socket. */
export class Client {
  readonly received: ServerMessage[] = [];
  /** Every inbound frame as it came off the wire (for framing assertions). */
  readonly rawFrames: Array<{ binary: boolean; bytes: number; gzip: boolean }> = [];
  closeInfo: CloseInfo | undefined;
  readonly closed: Promise<CloseInfo>;
  /** The client's TCP socket (pause it to simulate a slow reader, destroy it for an abrupt reset). */
  socket: net.Socket | undefined;
  serialization: Serialization;
  readonly #codec: Codec;
  #waiters = new Set<() => void>();
  decodeErrors: unknown[] = [];

  private constructor(
    readonly ws: WebSocket,
    serialization: Serialization,
  ) {
    this.serialization = serialization;
    this.#codec = createCodec(serialization);
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const gzip = isBinary && data[0] === 0x1f && data[1] === 0x8b;
      this.rawFrames.push({ binary: isBinary, bytes: data.byteLength, gzip });
      try {
        const frame = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8');
        this.received.push(decodeFrame(frame, this.serialization, { inflate: (b) => gunzipSync(b) }) as ServerMessage);
      } catch (e) {
        this.decodeErrors.push(e);
      }
      this.#notify();
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.#notify();
        resolve(this.closeInfo);
      });
    });
  }

  /** Open a socket (not authenticated unless `headerAuth` with `token`). */
  static async open(wsUrl: string, token?: string, options: ConnectOptions = {}): Promise<Client> {
    const serialization = options.serialization ?? 'msgpack';
    const compression = options.compression ?? 'none';
    let socket: net.Socket | undefined;
    const url = options.headerAuth === true ? `${wsUrl}?serialization=${serialization}&compression=${compression}` : wsUrl;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.headerAuth === true && token !== undefined) headers['authorization'] = `Bearer ${token}`;
    const ws = new WebSocket(url, {
      headers,
      maxPayload: 256 * 1024 * 1024,
      createConnection: (opts: net.NetConnectOpts) => (socket = net.connect(opts)),
    } as unknown as ConstructorParameters<typeof WebSocket>[1]);
    const client = new Client(ws, serialization);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    client.socket = socket;
    return client;
  }

  /** Open, authenticate (message or header), await `auth_success`. */
  static async connect(wsUrl: string, token: string, options: ConnectOptions = {}): Promise<Client> {
    const client = await Client.open(wsUrl, token, options);
    if (options.headerAuth !== true) client.authenticate(token, options);
    const reply = await client.next((m) => m.type === 'auth_success' || m.type === 'auth_error');
    if (reply.type !== 'auth_success') throw new Error(`auth failed: ${JSON.stringify(reply)}`);
    return client;
  }

  /** Send `authenticate` as a JSON text frame. */
  authenticate(token: string, options: ConnectOptions = {}): void {
    const protocol = { serialization: options.serialization ?? this.serialization, compression: options.compression ?? 'none' };
    this.ws.send(createCodec('json').encode(options.omitProtocol === true ? { type: 'authenticate', method: 'jwt', token } : { type: 'authenticate', method: 'jwt', token, protocol }));
  }

  /** Send a message in the negotiated serialization. */
  send(message: ClientMessage): void {
    this.ws.send(this.#codec.encode(message));
  }

  /** Send raw bytes (binary frame) or text. */
  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  /** Send `subscribe`. `options` undefined = live-only. */
  subscribe(id: string, sqlText: string, options?: SubscriptionOptions, params?: readonly ParamValue[]): void {
    this.send({
      type: 'subscribe',
      subscription: { id, sql: sqlText, ...(params === undefined ? {} : { params }), ...(options === undefined ? {} : { options }) },
    });
  }

  /** Remove and return the first received message matching `pred`, waiting up to `timeoutMs`. */
  async next(pred: Predicate | ServerMessage['type'] = () => true, timeoutMs = 5000): Promise<ServerMessage> {
    const match: Predicate = typeof pred === 'string' ? (m) => m.type === pred : pred;
    await this.#waitFor(() => this.received.findIndex(match) >= 0, timeoutMs, `message matching ${String(pred)}`);
    const i = this.received.findIndex(match);
    return this.received.splice(i, 1)[0] as ServerMessage;
  }

  /** Wait until `count` messages match, then remove and return them in order. */
  async take(count: number, pred: Predicate | ServerMessage['type'], timeoutMs = 5000): Promise<ServerMessage[]> {
    const match: Predicate = typeof pred === 'string' ? (m) => m.type === pred : pred;
    await this.#waitFor(() => this.received.filter(match).length >= count, timeoutMs, `${count} messages matching ${String(pred)}`);
    const out: ServerMessage[] = [];
    for (let i = 0; i < this.received.length && out.length < count; ) {
      const m = this.received[i] as ServerMessage;
      if (match(m)) {
        out.push(m);
        this.received.splice(i, 1);
      } else i++;
    }
    return out;
  }

  /** Wait for the close. */
  async waitClose(timeoutMs = 5000): Promise<CloseInfo> {
    await this.#waitFor(() => this.closeInfo !== undefined, timeoutMs, 'close');
    return this.closeInfo as CloseInfo;
  }

  /** Give the server a moment, then return every unread message except acks (and forget them all). */
  async settle(ms = 100): Promise<ServerMessage[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.received.splice(0).filter((m) => m.type !== 'subscription_ack');
  }

  /** Close normally. */
  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  /** Destroy the TCP socket without a close frame (abrupt reset). */
  reset(): void {
    this.socket?.resetAndDestroy();
  }

  async #waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (cond()) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (cond()) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve();
        } else if (this.closeInfo !== undefined && !what.startsWith('close')) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          reject(new Error(`socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for ${what}; unread: ${describe(this.received)}`));
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; unread: ${describe(this.received)}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
}

function describe(messages: readonly ServerMessage[]): string {
  const text = JSON.stringify(messages.slice(0, 5), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return `${messages.length} [${text.slice(0, 600)}]`;
}

/** Close every client, ignoring errors. */
export function closeAll(clients: readonly (Client | undefined)[]): void {
  for (const c of clients) {
    if (c === undefined) continue;
    c.close();
    if (c.ws.readyState !== WebSocket.CLOSED) c.ws.terminate();
  }
}

/** Sleep. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
