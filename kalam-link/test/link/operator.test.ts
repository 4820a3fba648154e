/**
 * Server-initiated endings against the real server: KILL CONNECTION (terminal `killed`, every
 * subscription fails with KILLED, explicit connect() starts over), KILL LIVE QUERY (one
 * subscription closed with KILLED), a refused subscribe, token expiry with a provider (in-band
 * refresh; and the 4002 reconnect when the refresh is too late), and a dropped user (4003).
 */
import { SignJWT } from 'jose';
import { Auth } from '../../src/auth.js';
import { KalamError } from '../../src/errors.js';
import { createLink, type KalamLink } from '../../src/link.js';
import type { SubscriptionEvent } from '../../src/subscriptions/types.js';
import { adminAuth, eventually, JWT_SECRET, RecordingWs, startTestServer, type TestServer } from '../support/server.js';
import { trackUnhandledRejections } from '../support/rejections.js';

let t: TestServer;
const links: KalamLink[] = [];
const rejections = trackUnhandledRejections();

beforeAll(async () => {
  t = await startTestServer();
  await t.sql('CREATE NAMESPACE app; CREATE SHARED TABLE app.feed (id INT PRIMARY KEY, v TEXT)');
});
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
  expect(rejections).toEqual([]);
});
afterAll(async () => {
  await t.close();
});

function track(l: KalamLink): KalamLink {
  links.push(l);
  return l;
}

function collect(): { events: SubscriptionEvent[]; listener: (e: SubscriptionEvent) => void } {
  const events: SubscriptionEvent[] = [];
  return { events, listener: (e) => events.push(e) };
}

async function mint(sub: string, role: string, ttlSeconds: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt(now).setExpirationTime(now + ttlSeconds).sign(new TextEncoder().encode(JWT_SECRET));
}

test('KILL CONNECTION → killed, every subscription fails with KILLED, no reconnect; connect() starts over', async () => {
  const ws = new RecordingWs();
  const l = track(createLink({ url: t.url, auth: adminAuth(), WebSocket: ws.WebSocket, reconnect: { baseDelayMs: 5 } }));
  const a = collect();
  const b = collect();
  l.subscribe('SELECT * FROM app.feed', {}, a.listener);
  l.subscribe('SELECT id FROM app.feed', {}, b.listener);
  await l.connect();
  await eventually(() => l.listSubscriptions().every((s) => s.status === 'ready'));
  const connectionId = l.getSnapshot().connectionId;
  expect(connectionId).toMatch(/^[0-9a-f]{32}$/);
  await t.sql(`KILL CONNECTION '${connectionId}'`);
  await eventually(() => l.state === 'killed');
  for (const { events } of [a, b]) {
    const fatal = events.find((e) => e.type === 'error');
    expect(fatal).toMatchObject({ type: 'error', fatal: true, error: { code: 'KILLED' } });
  }
  expect(l.listSubscriptions()).toEqual([]);
  expect(l.getSnapshot().error?.code).toBe('KILLED');
  await new Promise((r) => setTimeout(r, 100));
  expect(ws.sockets).toHaveLength(1);
  await l.connect();
  expect(l.state).toBe('ready');
  expect(ws.sockets).toHaveLength(2);
});

test('KILL LIVE QUERY ends that subscription only (closed, fatal KILLED)', async () => {
  const l = track(createLink({ url: t.url, auth: adminAuth() }));
  const a = collect();
  const subA = l.subscribe('SELECT * FROM app.feed', { id: 'victim' }, a.listener);
  const subB = l.subscribe('SELECT * FROM app.feed', { id: 'bystander' });
  await eventually(() => subA.status === 'ready' && subB.status === 'ready');
  await t.sql(`KILL LIVE QUERY '${l.getSnapshot().connectionId}:victim'`);
  await eventually(() => subA.status === 'closed');
  expect(a.events.find((e) => e.type === 'error')).toMatchObject({ fatal: true, error: { code: 'KILLED', subscriptionId: 'victim' } });
  expect(subB.status).toBe('ready');
  expect(l.state).toBe('ready');
});

test('a refused subscribe ends with status error and the server code; others unaffected', async () => {
  const l = track(createLink({ url: t.url, auth: adminAuth() }));
  const bad = collect();
  const subBad = l.subscribe('SELECT * FROM app.nope', {}, bad.listener);
  const subOk = l.subscribe('SELECT * FROM app.feed');
  await eventually(() => subBad.status === 'error' && subOk.status === 'ready');
  expect(bad.events.find((e) => e.type === 'error')).toMatchObject({ fatal: true, error: { code: 'NOT_FOUND' } });
  expect(l.listSubscriptions().map((s) => s.id)).toEqual([subOk.id]);
});

test('auth failure: a wrong password ends in auth_failed and connect() rejects with AUTH_FAILED', async () => {
  const l = track(createLink({ url: t.url, auth: Auth.basic('admin', 'wrong') }));
  const sub = collect();
  l.subscribe('SELECT * FROM app.feed', {}, sub.listener);
  await expect(l.connect()).rejects.toMatchObject({ code: 'AUTH_FAILED' });
  expect(l.state).toBe('auth_failed');
  expect(sub.events.at(-2)).toMatchObject({ type: 'error', fatal: true, error: { code: 'AUTH_FAILED' } });
});

test('short-lived tokens from a provider: refreshed in-band before expiry, no reconnect', async () => {
  const ws = new RecordingWs();
  let minted = 0;
  const l = track(
    createLink({ url: t.url, WebSocket: ws.WebSocket, auth: Auth.provider(async () => (minted++, mint('admin', 'dba', 3))) }),
  );
  const sub = l.subscribe('SELECT * FROM app.feed');
  await l.connect();
  const first = l.getSnapshot().connectionId;
  // 3 s tokens are refreshed ~0.6 s before expiry; stay well past two expiries.
  await new Promise((r) => setTimeout(r, 4_500));
  expect(minted).toBeGreaterThanOrEqual(2);
  expect(l.state).toBe('ready');
  expect(l.getSnapshot().connectionId).toBe(first);
  expect(ws.sockets).toHaveLength(1);
  await t.sql(`INSERT INTO app.feed (id, v) VALUES (${Date.now() % 100000}, 'after refresh')`);
  await eventually(() => sub.status === 'ready' && (l.listSubscriptions()[0]?.eventsDelivered ?? 0) >= 2);
}, 15_000);

test('an expired token closes with 4002 → fresh token at once, resume, no backoff', async () => {
  const ws = new RecordingWs();
  const calls: boolean[] = [];
  // First token lives 1 s; the in-band refresh attempt fails (so the server's 4002 close comes);
  // the token asked for after the close is good.
  const l = track(
    createLink({
      url: t.url,
      WebSocket: ws.WebSocket,
      reconnect: { baseDelayMs: 10_000, maxDelayMs: 10_000 },
      auth: Auth.provider(async ({ forceRefresh }) => {
        calls.push(forceRefresh);
        if (calls.length === 1) return mint('admin', 'dba', 1);
        if (calls.length === 2) throw new Error('token service briefly down');
        return mint('admin', 'dba', 60);
      }),
    }),
  );
  const errors: string[] = [];
  l.on('error', (e) => errors.push(e.code));
  const sub = l.subscribe('SELECT * FROM app.feed');
  await l.connect();
  const transitions: string[] = [];
  l.on('transition', (tr) => transitions.push(`${tr.from}->${tr.to}`));
  await eventually(() => ws.sockets.length === 2 && l.state === 'ready', 5_000, 'reconnected after 4002');
  expect(l.getSnapshot().lastClose?.code).toBe(4002);
  expect(errors).toContain('NETWORK');
  expect(calls).toEqual([false, true, true]);
  expect(transitions).not.toContain('ready->reconnecting');
  expect(transitions).toContain('ready->connecting');
  await eventually(() => sub.status === 'ready');
}, 10_000);

test('dropping the user closes with 4003 → auth_revoked, subscriptions fail with AUTH_REVOKED', async () => {
  await t.sql("CREATE USER bob WITH PASSWORD 'bob-pw' ROLE dba");
  const l = track(createLink({ url: t.url, auth: Auth.basic('bob', 'bob-pw') }));
  const sub = collect();
  l.subscribe('SELECT * FROM app.feed', {}, sub.listener);
  await l.connect();
  await t.sql('DROP USER bob');
  await eventually(() => l.state === 'auth_revoked');
  expect(sub.events.find((e) => e.type === 'error')).toMatchObject({ fatal: true, error: { code: 'AUTH_REVOKED' } });
  expect(KalamError.is(l.getSnapshot().error, 'AUTH_REVOKED')).toBe(true);
});
