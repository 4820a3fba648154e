/**
 * The failure side of PROTOCOL.md, from the spec-only client: close codes for bad auth (§6.1,
 * §10), typed errors for malformed frames and refused subscriptions (§5.1, §7.1, §7.3, §11, §12),
 * KILL LIVE QUERY → `unsubscribed` (§13.3), in both serializations; the server keeps serving.
 */
import { barrier } from './support/liveView.js';
import { connect, SpecSocket, type Msg, type Serialization } from './support/specClient.js';
import { encodeJson, encodeMsgpack } from './support/specCodec.js';
import { signJwt, startFixture, type Fixture } from './support/fixture.js';

const SERIALIZATIONS: readonly Serialization[] = ['json', 'msgpack'];
const MAX_FRAME = 64 * 1024;
let fx: Fixture;
const sockets: SpecSocket[] = [];

beforeAll(async () => {
  fx = await startFixture({ limits: { authTimeoutMs: 400, maxFrameBytes: MAX_FRAME } }, ['e']);
  await fx.http.ok(fx.adminToken, `CREATE USER bob WITH PASSWORD 'bob-pw' ROLE user`);
});
afterEach(async () => {
  for (const s of sockets.splice(0)) {
    expect(s.invalid).toEqual([]);
    await s.close();
  }
});
afterAll(() => fx.stop());

async function raw(): Promise<SpecSocket> {
  const s = await SpecSocket.open(fx.wsUrl);
  sockets.push(s);
  return s;
}

const now = (): number => Math.floor(Date.now() / 1000);

describe('authentication failures (§6.1, §10)', () => {
  test.each([
    ['a garbage token', 'AUTH_FAILED', 4001, (): string => 'not-a-jwt'],
    ['a token for an unknown user', 'AUTH_FAILED', 4001, (): string => signJwt({ sub: 'nobody', role: 'user', iat: now(), exp: now() + 600 })],
    ['a token with a bad signature', 'AUTH_FAILED', 4001, (): string => `${signJwt({ sub: 'alice', role: 'user', iat: now(), exp: now() + 600 }).slice(0, -4)}AAAA`],
    ['an expired token', 'AUTH_EXPIRED', 4002, (): string => signJwt({ sub: 'alice', role: 'user', iat: now() - 7200, exp: now() - 3600 })],
  ] as const)('%s → auth_error %s (JSON text) + close %d', async (_what, code, close, token) => {
    const s = await raw();
    const answer = await s.authenticate(token(), 'msgpack');
    expect(answer).toEqual(expect.objectContaining({ type: 'auth_error', code }));
    expect(s.log.filter((f) => f.dir === '←').every((f) => !f.binary)).toBe(true);
    expect((await s.closed).code).toBe(close);
  });

  test('a disabled user → AUTH_REVOKED + 4003; an open socket of that user is closed with 4003', async () => {
    const bobToken = await fx.http.login('bob', 'bob-pw');
    const open = await connect(fx.wsUrl, bobToken, 'json');
    sockets.push(open);
    await fx.http.ok(fx.adminToken, 'ALTER USER bob DISABLE');
    expect((await open.closed).code).toBe(4003);
    const s = await raw();
    expect(await s.authenticate(bobToken, 'json')).toEqual(expect.objectContaining({ type: 'auth_error', code: 'AUTH_REVOKED' }));
    expect((await s.closed).code).toBe(4003);
  });

  test('no authenticate within the auth timeout → auth_error AUTH_FAILED + 4008', async () => {
    const s = await raw();
    expect(await s.nextType('auth_error', 3000)).toEqual(expect.objectContaining({ code: 'AUTH_FAILED' }));
    expect((await s.closed).code).toBe(4008);
  });

  test('a message before authenticate → error AUTH_REQUIRED, connection stays usable', async () => {
    const s = await raw();
    s.sendText('{"type":"ping"}');
    expect(await s.nextType('error')).toEqual(expect.objectContaining({ code: 'AUTH_REQUIRED' }));
    expect((await s.authenticate(fx.aliceToken, 'json')).type).toBe('auth_success');
    await barrier(s);
  });
});

describe.each(SERIALIZATIONS)('malformed frames and refused subscriptions, %s', (ser) => {
  let s: SpecSocket;
  beforeEach(async () => {
    s = await connect(fx.wsUrl, fx.aliceToken, ser);
    sockets.push(s);
  });

  /** Send, expect a typed `error` in the negotiated serialization, and a still-serving socket. */
  async function expectError(send: () => void, code: string, subscriptionId?: string, timeoutMs?: number): Promise<Msg> {
    send();
    const err = await s.nextType('error', timeoutMs);
    expect(err).toEqual(expect.objectContaining({ code }));
    expect(err['subscription_id']).toBe(subscriptionId);
    const frame = s.log.filter((f) => f.dir === '←').pop()!;
    expect(frame.binary).toBe(ser === 'msgpack');
    await barrier(s);
    return err;
  }

  test.each([
    ['invalid JSON text', 'PROTOCOL', (x: SpecSocket): void => x.sendText('{"type":"ping"'), undefined],
    ['a JSON array', 'PROTOCOL', (x: SpecSocket): void => x.sendText('["ping"]'), undefined],
    ['an unknown type', 'PROTOCOL', (x: SpecSocket): void => x.sendText('{"type":"subscribe_all"}'), undefined],
    ['a blank subscription id', 'PROTOCOL', (x: SpecSocket): void => x.sendText('{"type":"subscribe","subscription":{"id":"  ","sql":"SELECT * FROM conf.e"}}'), undefined],
    ['subscribe without sql', 'PROTOCOL', (x: SpecSocket): void => x.sendText('{"type":"subscribe","subscription":{"id":"s"}}'), 's'],
    ['a non-decimal SeqId', 'PROTOCOL', (x: SpecSocket): void => x.sendText('{"type":"next_batch","subscription_id":"s","last_seq_id":"12a"}'), 's'],
    ['the reserved msgpack byte c1', 'PROTOCOL', (x: SpecSocket): void => x.sendBinary(Uint8Array.of(0xc1)), undefined],
    ['msgpack with trailing bytes', 'PROTOCOL', (x: SpecSocket): void => x.sendBinary(Uint8Array.from([...encodeMsgpack({ type: 'ping' }), 0])), undefined],
    ['a truncated msgpack map', 'PROTOCOL', (x: SpecSocket): void => x.sendBinary(encodeMsgpack({ type: 'unsubscribe', subscription_id: 's1' }).subarray(0, 10)), undefined],
    ['a msgpack array', 'PROTOCOL', (x: SpecSocket): void => x.sendBinary(encodeMsgpack(['ping'])), undefined],
    ['a negative msgpack SeqId', 'PROTOCOL', (x: SpecSocket): void => x.sendBinary(encodeMsgpack({ type: 'next_batch', subscription_id: 's', last_seq_id: -1n })), 's'],
    ['a text frame over the frame limit', 'MESSAGE_TOO_LARGE', (x: SpecSocket): void => x.sendText(encodeJson({ type: 'ping', pad: 'x'.repeat(MAX_FRAME) })), undefined],
    ['a binary frame over the frame limit', 'MESSAGE_TOO_LARGE', (x: SpecSocket): void => x.sendBinary(encodeMsgpack({ type: 'ping', pad: 'x'.repeat(MAX_FRAME) })), undefined],
  ] as const)('%s → error %s (with the subscription id when the frame names one), frame ignored, socket open', async (_what, code, send, subscriptionId) => {
    await expectError(() => send(s), code, subscriptionId);
  });

  test.each([
    ['unparsable SQL', 'INVALID_SQL', 'SELEKT * FROM conf.e', {}],
    ['ORDER BY', 'UNSUPPORTED', 'SELECT * FROM conf.e ORDER BY id', {}],
    ['LIMIT', 'UNSUPPORTED', 'SELECT * FROM conf.e LIMIT 3', {}],
    ['an unknown table', 'NOT_FOUND', 'SELECT * FROM conf.nope', {}],
    ['a system table (any role)', 'UNSUPPORTED', 'SELECT * FROM system.live_queries', {}],
    ['last_rows above batch_size', 'UNSUPPORTED', 'SELECT * FROM conf.e', { batch_size: 2, last_rows: 3 }],
  ] as const)('subscribe with %s → error {subscription_id, %s}, not registered', async (_what, code, sql, options) => {
    await expectError(() => s.send({ type: 'subscribe', subscription: { id: 'bad', sql, options } }), code, 'bad');
    await expectError(() => s.send({ type: 'next_batch', subscription_id: 'bad' }), 'NOT_FOUND', 'bad');
  });

  test('[server deviates from §12] subscribe with batch_size above the maximum (20000 > 10000) → error {subscription_id, INVALID_ARGUMENT}', async () => {
    await expectError(() => s.send({ type: 'subscribe', subscription: { id: 'big', sql: 'SELECT * FROM conf.e', options: { batch_size: 20000 } } }), 'INVALID_ARGUMENT', 'big', 1000);
  });

  test('next_batch with no pending batch → BATCH_FETCH_FAILED; unsubscribe of an unknown id is silent', async () => {
    s.send({ type: 'subscribe', subscription: { id: 'done', sql: 'SELECT * FROM conf.e', options: {} } });
    expect((await s.nextOf('done')).type).toBe('subscription_ack');
    expect((await s.nextOf('done')).type).toBe('initial_data_batch');
    await expectError(() => s.send({ type: 'next_batch', subscription_id: 'done' }), 'BATCH_FETCH_FAILED', 'done');
    s.send({ type: 'unsubscribe', subscription_id: 'never-was' });
    await barrier(s);
    expect(s.pending()).toEqual([]);
  });

  test('KILL LIVE QUERY → unsubscribed {reason: killed}, the socket stays open and the subscription is gone', async () => {
    s.send({ type: 'subscribe', subscription: { id: 'k:1', sql: 'SELECT * FROM conf.e' } });
    expect((await s.nextOf('k:1')).type).toBe('subscription_ack');
    const connectionId = s.authInfo!['connection_id'] as string;
    expect(connectionId).toMatch(/^[0-9a-f]{32}$/);
    const liveId = `${connectionId}:k:1`;
    const [lq] = await fx.http.ok(fx.adminToken, `SELECT live_id, subscription_id, user_id, status FROM system.live_queries WHERE connection_id = '${connectionId}'`);
    expect(lq!.rows).toEqual([{ live_id: liveId, subscription_id: 'k:1', user_id: 'alice', status: 'active' }]);
    await fx.http.ok(fx.adminToken, `KILL LIVE QUERY '${liveId}'`);
    expect(await s.nextOf('k:1')).toEqual({ type: 'unsubscribed', subscription_id: 'k:1', reason: 'killed' });
    await fx.http.write(fx.aliceToken, `INSERT INTO conf.e (id, label, qty) VALUES (${ser === 'json' ? 1 : 2}, 'k', 1)`);
    await barrier(s);
    expect(s.pending()).toEqual([]);
    const gone = await fx.http.sql(fx.adminToken, `KILL LIVE QUERY '${liveId}'`);
    expect([gone.httpStatus, gone.body.error?.code]).toEqual([404, 'NOT_FOUND']);
  });

  test('HTTP SQL errors are typed and the server keeps serving', async () => {
    const bad = await fx.http.sql(fx.aliceToken, 'SELEKT 1');
    expect([bad.httpStatus, bad.body.status, bad.body.error?.code]).toEqual([400, 'error', 'INVALID_SQL']);
    const noTable = await fx.http.sql(fx.aliceToken, 'SELECT * FROM conf.nope');
    expect([noTable.httpStatus, noTable.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    const dup = await fx.http.sql(fx.aliceToken, 'INSERT INTO conf.e (id, label, qty) VALUES (77, \'a\', 1), (77, \'b\', 2)');
    expect([dup.httpStatus, dup.body.error?.code]).toEqual([409, 'CONFLICT']);
    await barrier(s);
  });
});
