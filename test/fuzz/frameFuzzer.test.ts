/**
 * Bad input over the WebSocket: a seeded fuzzer sends ≥ 100,000 random and mutated frames
 * (JSON and msgpack) over authenticated and unauthenticated sockets. The server must stay up,
 * answer only with typed `error` frames (or a protocol/auth close), and keep its memory bounded.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ErrorCode } from '@kalam/link/protocol';
import { health, login, sql } from '../support/http.js';
import { type RawClient, type ServerFrame, describe as show, openRaw } from '../support/rawClient.js';
import { createRng, type Rng } from '../support/rng.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { FUZZ_TABLE, nextFrame } from './frameGen.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const TOTAL_FRAMES = Number(process.env.FUZZ_FRAMES ?? 100_000);
const BATCH = 250;
const AUTH_WORKERS = 6;
const UNAUTH_FRAMES = 3_000;

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));
/** Server frames a fuzzed-but-accidentally-valid frame may legitimately produce. */
const LEGIT_REPLIES = new Set(['error', 'pong', 'subscription_ack', 'initial_data_batch', 'change', 'unsubscribed']);
/** Close codes allowed after bad input: auth failures and protocol violation. */
const ALLOWED_CLOSES = new Set([4001, 4002, 4007, 4008, 1008]);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

interface Tally {
  sent: number;
  oversized: number;
  errors: number;
  legit: number;
  reconnects: number;
  closes: Map<number, number>;
  codes: Map<string, number>;
  kinds: Map<string, number>;
  violations: string[];
}

function checkReplies(frames: readonly ServerFrame[], tally: Tally, where: string): void {
  for (const frame of frames) {
    if (frame.type === 'error') {
      tally.errors++;
      const code = frame.code;
      tally.codes.set(String(code), (tally.codes.get(String(code)) ?? 0) + 1);
      if (typeof code !== 'string' || !KNOWN_CODES.has(code) || typeof frame.message !== 'string') {
        tally.violations.push(`${where}: untyped error ${show([frame])}`);
      } else if (code === 'INTERNAL' || code === 'SUBSCRIPTION_FAILED') {
        tally.violations.push(`${where}: bad input caused an internal failure: ${show([frame])}`);
      }
    } else if (typeof frame.type === 'string' && LEGIT_REPLIES.has(frame.type)) {
      tally.legit++;
    } else if (frame.type === 'auth_error') {
      tally.legit++;
    } else {
      tally.violations.push(`${where}: unexpected reply ${show([frame])}`);
    }
  }
}

describe('frame fuzzer (seed ' + SEED + ')', () => {
  let server: TestServer;
  let userToken: string;

  beforeAll(async () => {
    server = await startTestServer({
      limits: { messagesPerSecond: 1_000_000_000, messageBurst: 1_000_000_000 },
    });
    await sql(server.url, server.adminToken, 'CREATE NAMESPACE fuzz');
    await sql(server.url, server.adminToken, `CREATE SHARED TABLE ${FUZZ_TABLE} (id INT PRIMARY KEY, label TEXT)`);
    await sql(server.url, server.adminToken, `INSERT INTO ${FUZZ_TABLE} (id, label) VALUES (1, 'one'), (2, 'two'), (3, 'three')`);
    await sql(server.url, server.adminToken, "CREATE USER fuzzer WITH PASSWORD 'fuzzer-pw' ROLE user");
    userToken = await login(server.url, 'fuzzer', 'fuzzer-pw');
  });

  afterAll(async () => {
    await server.close();
  });

  /** One authenticated socket: send batches of fuzz frames, each closed by a ping, until the budget is spent. */
  async function authWorker(index: number, rng: Rng, budget: { left: number }, tally: Tally): Promise<void> {
    const serialization = index % 2 === 0 ? 'json' : 'msgpack';
    let client: RawClient = await openRaw(server.url, { token: userToken, serialization });
    let seen = client.frames.length;
    let batchNo = 0;
    try {
      while (budget.left > 0) {
        const n = Math.min(BATCH, budget.left);
        budget.left -= n;
        batchNo++;
        for (let i = 0; i < n; i++) {
          const frame = nextFrame(rng, true);
          tally.sent++;
          tally.kinds.set(frame.kind, (tally.kinds.get(frame.kind) ?? 0) + 1);
          if (frame.oversized) tally.oversized++;
          client.sendRaw(frame.data);
        }
        const marker = client.frames.length;
        client.send({ type: 'ping' });
        try {
          await client.waitFor((f) => f.type === 'pong', 15000, marker);
        } catch (e) {
          if (!client.closeInfo) throw e;
        }
        checkReplies(client.frames.slice(seen), tally, `worker ${index} batch ${batchNo}`);
        if (client.undecodable.length > 0) tally.violations.push(`worker ${index}: ${client.undecodable.length} undecodable server frames`);
        if (client.closeInfo) {
          const { code } = client.closeInfo;
          tally.closes.set(code, (tally.closes.get(code) ?? 0) + 1);
          if (!ALLOWED_CLOSES.has(code)) tally.violations.push(`worker ${index}: closed with ${code} ${client.closeInfo.reason}`);
          tally.reconnects++;
          client = await openRaw(server.url, { token: userToken, serialization });
          seen = client.frames.length;
        } else {
          // Drop what was checked so a long run holds only one batch of replies.
          client.frames.splice(0);
          seen = 0;
        }
      }
    } finally {
      await client.terminate();
    }
  }

  /** Unauthenticated sockets: bad frames before authenticating only ever get auth_error / error. */
  async function unauthWorker(rng: Rng, budget: { left: number }, tally: Tally): Promise<void> {
    while (budget.left > 0) {
      const client = await openRaw(server.url);
      const n = Math.min(rng.int(1, 100), budget.left);
      budget.left -= n;
      for (let i = 0; i < n; i++) {
        const frame = nextFrame(rng, false);
        tally.sent++;
        client.sendRaw(frame.data);
      }
      const deadline = Date.now() + 3000;
      while (client.frames.length < n && !client.closeInfo && Date.now() < deadline) await client.changed(deadline - Date.now());
      for (const frame of client.frames) {
        if (frame.type === 'auth_success') tally.violations.push(`unauthenticated socket got ${show([frame])}`);
      }
      checkReplies(client.frames, tally, 'unauthenticated');
      if (client.closeInfo && !ALLOWED_CLOSES.has(client.closeInfo.code)) {
        tally.violations.push(`unauthenticated socket closed with ${client.closeInfo.code}`);
      }
      await client.terminate();
    }
  }

  test(`survives ≥ ${TOTAL_FRAMES} random and mutated frames with typed errors only and bounded memory`, async () => {
    const tally: Tally = { sent: 0, oversized: 0, errors: 0, legit: 0, reconnects: 0, closes: new Map(), codes: new Map(), kinds: new Map(), violations: [] };
    const started = Date.now();
    const before = heapUsed();
    const budget = { left: TOTAL_FRAMES };
    const unauthBudget = { left: UNAUTH_FRAMES };
    await Promise.all([
      ...Array.from({ length: AUTH_WORKERS }, (_, i) => authWorker(i, createRng(SEED + i), budget, tally)),
      unauthWorker(createRng(SEED + 100), unauthBudget, tally),
    ]);
    const after = heapUsed();
    const summary = {
      seed: SEED,
      framesSent: tally.sent,
      oversized: tally.oversized,
      errorReplies: tally.errors,
      otherReplies: tally.legit,
      reconnects: tally.reconnects,
      closes: Object.fromEntries(tally.closes),
      errorCodes: Object.fromEntries(tally.codes),
      kinds: Object.fromEntries(tally.kinds),
      heapGrowthMiB: Math.round(((after - before) / 1048576) * 10) / 10,
      seconds: (Date.now() - started) / 1000,
    };
    console.log(`frame fuzzer: ${JSON.stringify(summary)}`);
    expect(tally.violations.slice(0, 20)).toEqual([]);
    expect(tally.sent).toBeGreaterThanOrEqual(TOTAL_FRAMES + UNAUTH_FRAMES);
    expect(tally.errors).toBeGreaterThan(TOTAL_FRAMES / 2);
    expect(tally.codes.get('MESSAGE_TOO_LARGE') ?? 0).toBeGreaterThanOrEqual(Math.min(1, tally.oversized));
    // Everything the fuzzer opened is gone: no leaked subscriptions, sessions or buffers.
    expect(after - before).toBeLessThan(64 * 1024 * 1024);

    // Still serving: health, and a fresh client subscribes and sees a change.
    expect(await health(server.url)).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
    const fresh = await openRaw(server.url, { token: userToken, serialization: 'msgpack' });
    try {
      fresh.send({ type: 'subscribe', subscription: { id: 'after-fuzz', sql: `SELECT * FROM ${FUZZ_TABLE}`, options: {} } });
      await fresh.waitFor((f) => f.type === 'initial_data_batch' && f.subscription_id === 'after-fuzz');
      await sql(server.url, server.adminToken, `INSERT INTO ${FUZZ_TABLE} (id, label) VALUES (1000, 'after')`);
      const change = await fresh.waitFor((f) => f.type === 'change' && f.subscription_id === 'after-fuzz');
      expect(change).toMatchObject({ change_type: 'insert', rows: [expect.objectContaining({ id: 1000, label: 'after' })] });
    } finally {
      await fresh.terminate();
    }
  }, 180_000);

  test('oversized frames (text and binary) get MESSAGE_TOO_LARGE and the connection stays open', async () => {
    for (const serialization of ['json', 'msgpack'] as const) {
      const client = await openRaw(server.url, { token: userToken, serialization });
      try {
        client.sendRaw('x'.repeat(1024 * 1024 + 1));
        client.sendRaw(new Uint8Array(1024 * 1024 + 1));
        await client.waitFor((f) => f.type === 'error' && f.code === 'MESSAGE_TOO_LARGE');
        const marker = client.frames.length;
        client.send({ type: 'ping' });
        await client.waitFor((f) => f.type === 'pong', 5000, marker);
        expect(client.frames.filter((f) => f.type === 'error' && f.code === 'MESSAGE_TOO_LARGE')).toHaveLength(2);
        expect(client.isOpen).toBe(true);
      } finally {
        await client.terminate();
      }
    }
  });

  test('100,000-level nesting (JSON and msgpack, inside an envelope and bare) → typed PROTOCOL errors, still serving', async () => {
    const depth = 100_000;
    const bareMsgpack = new Uint8Array(depth + 1).fill(0x91);
    bareMsgpack[depth] = 0xc0;
    const frames: Array<string | Uint8Array> = [
      '['.repeat(depth) + ']'.repeat(depth),
      `{"type":"subscribe","subscription":{"id":"deep","sql":"SELECT * FROM ${FUZZ_TABLE}","params":[${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}]}}`,
      bareMsgpack,
    ];
    const client = await openRaw(server.url, { token: userToken, serialization: 'msgpack' });
    try {
      for (const frame of frames) client.sendRaw(frame);
      const marker = client.frames.length;
      client.send({ type: 'ping' });
      await client.waitFor((f) => f.type === 'pong', 20_000, marker);
      const errors = client.frames.filter((f) => f.type === 'error');
      expect(errors.map((f) => f.code)).toEqual(['PROTOCOL', 'PROTOCOL', 'PROTOCOL']);
      expect(client.isOpen).toBe(true);
    } finally {
      await client.terminate();
    }
  }, 30_000);

  test('before authentication: bad frames get typed errors, never a session; silence is closed with 4008', async () => {
    const client = await openRaw(server.url);
    client.sendRaw('{"type":"subscribe","subscription":{"id":"s","sql":"SELECT * FROM fuzz.items"}}');
    client.sendRaw(new Uint8Array([0xc1, 0xc1]));
    await client.waitFor((f) => f.type === 'error' && f.code === 'PROTOCOL');
    expect(client.frames[0]).toMatchObject({ type: 'error', code: 'AUTH_REQUIRED' });
    const closed = await client.closed;
    expect(closed.code).toBe(4008);
    expect(client.frames.some((f) => f.type === 'subscription_ack' || f.type === 'auth_success')).toBe(false);
    expect(client.frames.at(-1)).toMatchObject({ type: 'auth_error' });
  });
});
