/**
 * A minimal protocol-v1 client written from PROTOCOL.md alone: HTTP login/SQL with fetch, one
 * `ws` socket with a message inbox, and a frame log that test failures print. Every inbound
 * frame is run through the spec validator; frames it rejects are kept as `invalid` messages so a
 * test can assert that the server sent none.
 */
import WebSocket from 'ws';
import { decodeFrame, encodeJson, encodeMsgpack, SpecError, type Msg, type Serialization } from './specCodec.js';

export type { Msg, Serialization } from './specCodec.js';

/** Result of `POST /v1/api/sql` (§2.3). */
export interface SqlResponse {
  readonly httpStatus: number;
  readonly body: {
    status: 'success' | 'error';
    results?: { columns: unknown[]; rows: Record<string, unknown>[]; row_count: number; last_seq?: string }[];
    error?: { code: string; message: string };
  };
}

/** HTTP API of §2. */
export class SpecHttp {
  constructor(readonly baseUrl: string) {}

  async login(username: string, password: string): Promise<string> {
    const r = await fetch(`${this.baseUrl}/v1/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    const body = (await r.json()) as { access_token?: string };
    if (r.status !== 200 || typeof body.access_token !== 'string') throw new Error(`login ${username}: ${r.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async sql(token: string, sql: string, params?: unknown[]): Promise<SqlResponse> {
    const r = await fetch(`${this.baseUrl}/v1/api/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(params ? { sql, params } : { sql }),
    });
    return { httpStatus: r.status, body: (await r.json()) as SqlResponse['body'] };
  }

  /** Run SQL that must succeed; returns the results. */
  async ok(token: string, sql: string, params?: unknown[]): Promise<NonNullable<SqlResponse['body']['results']>> {
    const r = await this.sql(token, sql, params);
    if (r.httpStatus !== 200 || r.body.status !== 'success' || !r.body.results) throw new Error(`${sql} → ${r.httpStatus} ${JSON.stringify(r.body)}`);
    return r.body.results;
  }

  /** One-statement write; returns its `last_seq` as a bigint. */
  async write(token: string, sql: string, params?: unknown[]): Promise<bigint> {
    const [res] = await this.ok(token, sql, params);
    if (res?.last_seq === undefined) throw new Error(`${sql}: no last_seq`);
    return BigInt(res.last_seq);
  }
}

/** One logged frame. */
export interface FrameLog {
  readonly dir: '→' | '←';
  readonly binary: boolean;
  /** Text, or hex for binary frames (truncated). */
  readonly raw: string;
}

/** Options of {@link SpecSocket.open}. */
export interface OpenOptions {
  /** Header auth (§3.1 path 2): `Authorization: Bearer` on the upgrade. */
  readonly bearer?: string;
  /** Query string for header auth, e.g. `serialization=msgpack`. */
  readonly query?: string;
}

type Waiter = { pred: (m: Msg) => boolean; resolve: (m: Msg) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** One WebSocket to `/v1/ws`. */
export class SpecSocket {
  readonly log: FrameLog[] = [];
  /** Server frames the spec validator rejected. */
  readonly invalid: string[] = [];
  /** Close code and reason once closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  serialization: Serialization = 'json';
  /** The last `auth_success` received. */
  authInfo: Msg | undefined;
  private readonly inbox: Msg[] = [];
  private waiters: Waiter[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      for (const w of this.waiters) { clearTimeout(w.timer); w.reject(new Error(`socket closed ${code} ${reason.toString()}\n${this.dump()}`)); }
      this.waiters = [];
      resolve({ code, reason: reason.toString() });
    }));
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
  }

  static open(wsUrl: string, options: OpenOptions = {}): Promise<SpecSocket> {
    const url = options.query ? `${wsUrl}?${options.query}` : wsUrl;
    const ws = new WebSocket(url, options.bearer ? { headers: { authorization: `Bearer ${options.bearer}` } } : {});
    const socket = new SpecSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused ${res.statusCode}`)));
    });
  }

  private onFrame(data: Buffer, binary: boolean): void {
    this.log.push({ dir: '←', binary, raw: binary ? data.subarray(0, 200).toString('hex') : data.toString('utf8').slice(0, 400) });
    let msg: Msg;
    try {
      msg = decodeFrame(binary ? new Uint8Array(data) : data.toString('utf8'), binary, this.serialization);
    } catch (e) {
      this.invalid.push(`${(e as SpecError).message} in ${binary ? 'binary' : 'text'} frame`);
      return;
    }
    if (msg.type === 'auth_success') {
      this.authInfo = msg;
      this.serialization = (msg['protocol'] as { serialization: Serialization }).serialization;
    }
    const i = this.waiters.findIndex((w) => w.pred(msg));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(msg);
    } else this.inbox.push(msg);
  }

  /** Send a message in the negotiated serialization (§3.3). */
  send(msg: object): void {
    if (this.serialization === 'msgpack') this.sendBinary(encodeMsgpack(msg));
    else this.sendText(encodeJson(msg));
  }

  sendText(text: string): void {
    this.log.push({ dir: '→', binary: false, raw: text.slice(0, 400) });
    this.ws.send(text);
  }

  sendBinary(bytes: Uint8Array): void {
    this.log.push({ dir: '→', binary: true, raw: Buffer.from(bytes.subarray(0, 200)).toString('hex') });
    this.ws.send(bytes);
  }

  /** The next inbound message matching `pred` (buffered or future). */
  next(pred: (m: Msg) => boolean = () => true, timeoutMs = 3000): Promise<Msg> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error(`socket not open\n${this.dump()}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`timeout waiting for a frame\n${this.dump()}`));
      }, timeoutMs);
      this.waiters.push({ pred, resolve, reject, timer });
    });
  }

  /** Next message of one subscription (or of any type `t`). */
  nextOf(subscriptionId: string, timeoutMs?: number): Promise<Msg> {
    return this.next((m) => m['subscription_id'] === subscriptionId, timeoutMs);
  }

  nextType(type: string, timeoutMs?: number): Promise<Msg> {
    return this.next((m) => m.type === type, timeoutMs);
  }

  /** Messages received and not yet taken. */
  pending(): readonly Msg[] {
    return this.inbox;
  }

  /** `authenticate` as a JSON text frame (§3.1), then the answer. */
  async authenticate(token: string, serialization: Serialization): Promise<Msg> {
    this.sendText(encodeJson({ type: 'authenticate', method: 'jwt', token, protocol: { serialization, compression: 'none' } }));
    return this.next((m) => m.type === 'auth_success' || m.type === 'auth_error');
  }

  /** Close the socket from the client side and wait for the close. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    await this.closed;
  }

  /** The frame log, for failure messages. */
  dump(last = 30): string {
    return this.log.slice(-last).map((f) => `${f.dir} ${f.binary ? 'bin ' : 'text'} ${f.raw}`).join('\n');
  }
}

/** Open a socket and authenticate by message; fails unless `auth_success`. */
export async function connect(wsUrl: string, token: string, serialization: Serialization): Promise<SpecSocket> {
  const s = await SpecSocket.open(wsUrl);
  const answer = await s.authenticate(token, serialization);
  if (answer.type !== 'auth_success') throw new Error(`auth failed: ${JSON.stringify(answer)}`);
  return s;
}
