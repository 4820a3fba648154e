/**
 * Authentication over the socket: message and header auth, negotiation, timeouts, token expiry,
 * in-band refresh, revocation, connection limits, Origin allow-list.
 */
import { CloseCode, type AuthSuccessMessage } from '@kalam/link/protocol';
import { SignJWT } from 'jose';
import { Client, closeAll, createUser, JWT_SECRET, login, sql, sqlRaw, startHarness, sleep, type Harness } from './support/harness.js';

let h: Harness;
const clients: Client[] = [];

beforeAll(async () => {
  h = await startHarness({ limits: { authTimeoutMs: 400, maxConnectionsPerUser: 3 }, allowedOrigins: ['https://app.example'] });
  await sql(h.url(), h.adminToken, 'CREATE NAMESPACE a; CREATE USER TABLE a.t (id INT PRIMARY KEY)');
});
afterEach(() => closeAll(clients.splice(0)));
afterAll(async () => h.close());

async function token(sub: string, expSeconds: number, secret = JWT_SECRET): Promise<string> {
  return new SignJWT({ role: 'user' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds)
    .sign(new TextEncoder().encode(secret));
}

async function open(): Promise<Client> {
  const c = await Client.open(h.wsUrl());
  clients.push(c);
  return c;
}

it('message auth: auth_success is JSON text with connection_id and expires_at; msgpack after', async () => {
  const t = await createUser(h, 'u1');
  const c = await open();
  c.authenticate(t, { serialization: 'msgpack' });
  const ok = (await c.next('auth_success')) as AuthSuccessMessage;
  expect(ok).toMatchObject({ user: 'u1', role: 'user', protocol: { serialization: 'msgpack', compression: 'none' } });
  expect(ok.connection_id).toMatch(/^[0-9a-f]{32}$/);
  expect(typeof ok.expires_at).toBe('number');
  c.send({ type: 'ping' });
  await c.next('pong');
  expect(c.rawFrames.map((f) => f.binary)).toEqual([false, true]);
});

it('authenticate without protocol means JSON; a msgpack-encoded authenticate is accepted too', async () => {
  const t = await createUser(h, 'u2');
  const c = await open();
  c.authenticate(t, { omitProtocol: true });
  expect(await c.next('auth_success')).toMatchObject({ protocol: { serialization: 'json', compression: 'none' } });
  c.send({ type: 'ping' });
  await c.next('pong');
  expect(c.rawFrames.every((f) => !f.binary)).toBe(true);
  const d = await Client.open(h.wsUrl(), undefined, { serialization: 'msgpack' });
  clients.push(d);
  d.send({ type: 'authenticate', method: 'jwt', token: t, protocol: { serialization: 'msgpack', compression: 'none' } });
  expect(await d.next('auth_success')).toMatchObject({ user: 'u2' });
});

it('header auth: Authorization: Bearer on the upgrade gets auth_success unprompted', async () => {
  const t = await createUser(h, 'u3');
  const c = await Client.connect(h.wsUrl(), t, { headerAuth: true, serialization: 'msgpack' });
  clients.push(c);
  c.send({ type: 'ping' });
  expect(await c.next('pong')).toEqual({ type: 'pong' });
});

it('a bad token gets auth_error then close 4001; frames before auth get AUTH_REQUIRED', async () => {
  const c = await open();
  c.sendRaw(JSON.stringify({ type: 'ping' }));
  expect(await c.next('error')).toMatchObject({ code: 'AUTH_REQUIRED' });
  c.authenticate(await token('nobody', 60));
  expect(await c.next('auth_error')).toMatchObject({ code: 'AUTH_FAILED' });
  expect((await c.waitClose()).code).toBe(CloseCode.AUTH_FAILED);
  const d = await open();
  d.authenticate(await token('admin', 60, 'wrong-secret'));
  expect((await d.waitClose()).code).toBe(CloseCode.AUTH_FAILED);
});

it('no authenticate within the auth timeout → auth_error + 4008', async () => {
  const c = await open();
  expect(await c.next('auth_error', 2000)).toMatchObject({ type: 'auth_error' });
  expect((await c.waitClose()).code).toBe(CloseCode.AUTH_TIMEOUT);
});

it('a 1-second token closes the socket with 4002 at exp, removing its rows', async () => {
  await createUser(h, 'u4');
  const t = await token('u4', 1);
  const c = await Client.connect(h.wsUrl(), t);
  clients.push(c);
  c.subscribe('s', 'SELECT * FROM a.t', {});
  await c.next('initial_data_batch');
  const ok = JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString()) as { exp: number };
  const closed = await c.waitClose(3000);
  const lateMs = Date.now() - ok.exp * 1000;
  expect(closed.code).toBe(CloseCode.AUTH_EXPIRED);
  expect(lateMs).toBeGreaterThanOrEqual(-5);
  expect(lateMs).toBeLessThan(1000);
  const [rows] = await sql(h.url(), h.adminToken, "SELECT * FROM system.live_queries WHERE user_id = 'u4'");
  expect(rows?.rows).toEqual([]);
});

it('in-band authenticate with a fresh token for the same user moves the deadline; another user → 4001', async () => {
  await createUser(h, 'u5');
  const c = await Client.connect(h.wsUrl(), await token('u5', 1));
  clients.push(c);
  const fresh = await token('u5', 3600);
  c.send({ type: 'authenticate', method: 'jwt', token: fresh });
  const ok = (await c.next('auth_success')) as AuthSuccessMessage;
  expect((ok.expires_at ?? 0) > Date.now() + 3000_000).toBe(true);
  await sleep(1300);
  expect(c.closeInfo).toBeUndefined();
  c.send({ type: 'ping' });
  await c.next('pong');
  c.send({ type: 'authenticate', method: 'jwt', token: h.adminToken });
  expect(await c.next('auth_error')).toMatchObject({ type: 'auth_error' });
  expect((await c.waitClose()).code).toBe(CloseCode.AUTH_FAILED);
});

it('an expired token is refused at authentication with 4002', async () => {
  await createUser(h, 'u6');
  const c = await open();
  c.authenticate(await token('u6', -5));
  expect(await c.next('auth_error')).toMatchObject({ code: 'AUTH_EXPIRED' });
  expect((await c.waitClose()).code).toBe(CloseCode.AUTH_EXPIRED);
});

it('DROP USER closes every connection of that user with 4003 at once and refuses its tokens', async () => {
  const t = await createUser(h, 'gone');
  const a = await Client.connect(h.wsUrl(), t);
  const b = await Client.connect(h.wsUrl(), t, { serialization: 'json' });
  clients.push(a, b);
  a.subscribe('s', 'SELECT * FROM a.t', {});
  await a.next('initial_data_batch');
  await sql(h.url(), h.adminToken, 'DROP USER gone');
  expect((await a.waitClose()).code).toBe(CloseCode.AUTH_REVOKED);
  expect((await b.waitClose()).code).toBe(CloseCode.AUTH_REVOKED);
  const [rows] = await sql(h.url(), h.adminToken, "SELECT * FROM system.live_queries WHERE user_id = 'gone'");
  expect(rows?.rows).toEqual([]);
  const c = await open();
  c.authenticate(t);
  expect((await c.waitClose()).code).toBe(CloseCode.AUTH_FAILED);
  expect((await sqlRaw(h.url(), t, 'SELECT * FROM a.t')).status).toBe(401);
});

it('a token of a dropped user stays refused after the name is re-created', async () => {
  const old = await createUser(h, 'reborn');
  await sql(h.url(), h.adminToken, 'DROP USER reborn');
  await sleep(1100); // tokens carry whole seconds
  const fresh = await createUser(h, 'reborn');
  const c = await open();
  c.authenticate(old);
  expect((await c.waitClose()).code).toBe(CloseCode.AUTH_FAILED);
  expect((await sqlRaw(h.url(), old, 'SELECT * FROM a.t')).status).toBe(401);
  clients.push(await Client.connect(h.wsUrl(), fresh));
});

it('ALTER USER DISABLE revokes with 4003; ENABLE lets the user back in', async () => {
  const t = await createUser(h, 'paused');
  const a = await Client.connect(h.wsUrl(), t);
  clients.push(a);
  await sql(h.url(), h.adminToken, 'ALTER USER paused DISABLE');
  expect((await a.waitClose()).code).toBe(CloseCode.AUTH_REVOKED);
  const b = await open();
  b.authenticate(t);
  expect(await b.next('auth_error')).toMatchObject({ code: 'AUTH_REVOKED' });
  expect((await b.waitClose()).code).toBe(CloseCode.AUTH_REVOKED);
  expect((await sqlRaw(h.url(), t, 'SELECT * FROM a.t')).status).toBe(401);
  await sql(h.url(), h.adminToken, 'ALTER USER paused ENABLE');
  const c = await Client.connect(h.wsUrl(), t);
  clients.push(c);
});

it('connections per user are limited (4009); other users are unaffected', async () => {
  const t = await createUser(h, 'busy');
  for (let i = 0; i < 3; i++) clients.push(await Client.connect(h.wsUrl(), t));
  const extra = await open();
  extra.authenticate(t);
  expect(await extra.next('auth_error')).toMatchObject({ code: 'CONNECTION_LIMIT_EXCEEDED' });
  expect((await extra.waitClose()).code).toBe(CloseCode.TOO_MANY_CONNECTIONS);
  clients.push(await Client.connect(h.wsUrl(), (await login(h.url(), 'admin', 'admin-test-password')).access_token));
});

it('Origin allow-list: a listed origin upgrades, another is refused with 403, none (non-browser) is allowed', async () => {
  const ok = await Client.open(h.wsUrl(), undefined, { headers: { origin: 'https://app.example' } });
  clients.push(ok);
  await expect(Client.open(h.wsUrl(), undefined, { headers: { origin: 'https://evil.example' } })).rejects.toThrow(/403/);
  const pre = await fetch(`${h.url()}/v1/api/sql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
  expect([pre.status, pre.headers.get('access-control-allow-origin')]).toEqual([403, null]);
  const okPre = await fetch(`${h.url()}/v1/api/sql`, { method: 'OPTIONS', headers: { origin: 'https://app.example' } });
  expect([okPre.status, okPre.headers.get('access-control-allow-origin')]).toEqual([204, 'https://app.example']);
});
