/** HTTP API: health, login, SQL results and typed errors. */
import http from 'node:http';
import net from 'node:net';
import { Client, createUser, login, sql, sqlRaw, startHarness, ADMIN_PASSWORD, type Harness } from './support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

it('GET /health', async () => {
  const res = await fetch(`${h.url()}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok', version: expect.any(String), protocol: 1 });
});

it('login with a JSON body or Basic credentials; wrong password → 401 AUTH_FAILED', async () => {
  const body = await login(h.url(), 'admin', ADMIN_PASSWORD);
  expect(body).toMatchObject({ token_type: 'Bearer', user: 'admin', role: 'dba' });
  expect(new Date(body.expires_at).getTime()).toBe(body.expires_at_ms);
  expect(body.expires_at_ms).toBeGreaterThan(Date.now() + 3500_000);
  const basic = await fetch(`${h.url()}/v1/api/auth/login`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } });
  expect(basic.status).toBe(200);
  const bad = await fetch(`${h.url()}/v1/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'nope' }) });
  expect(bad.status).toBe(401);
  const text = await bad.text();
  expect(JSON.parse(text)).toEqual({ status: 'error', error: { code: 'AUTH_FAILED', message: expect.any(String) } });
  expect(text).not.toContain('nope');
});

it('SQL: one result per statement, rows keyed by column, 64-bit integers as decimal strings, last_seq', async () => {
  const r = await sqlRaw(
    h.url(),
    h.adminToken,
    "CREATE NAMESPACE h; CREATE SHARED TABLE h.t (id BIGINT PRIMARY KEY, name TEXT, score DOUBLE); INSERT INTO h.t (id, name, score) VALUES (9223372036854775807, 'max', 1.5), ($1, 'param', NULL); SELECT * FROM h.t WHERE id = $1",
    ['9007199254740993'],
  );
  expect(r.status).toBe(200);
  const results = r.body.results ?? [];
  expect(results).toHaveLength(4);
  expect(results[2]?.row_count).toBe(2);
  expect(results[2]?.last_seq).toMatch(/^\d+$/);
  expect(results[3]?.rows).toEqual([expect.objectContaining({ id: '9007199254740993', name: 'param', score: null })]);
  expect(results[3]?.columns.map((c) => c.name)).toEqual(expect.arrayContaining(['id', 'name', 'score']));
});

it('SQL errors are typed with their HTTP status', async () => {
  const user = await createUser(h, 'plain');
  const cases: Array<[string | undefined, string, number, string]> = [
    [h.adminToken, 'SELEKT nonsense', 400, 'INVALID_SQL'],
    [h.adminToken, 'SELECT * FROM h.missing', 404, 'NOT_FOUND'],
    [h.adminToken, "INSERT INTO h.t (id, name) VALUES (9223372036854775807, 'dup')", 409, 'CONFLICT'],
    [user, 'SELECT * FROM system.connections', 403, 'UNAUTHORIZED'],
    [user, "CREATE USER x WITH PASSWORD 'y' ROLE dba", 403, 'UNAUTHORIZED'],
    ['not-a-token', 'SELECT 1', 401, 'AUTH_FAILED'],
  ];
  for (const [token, text, status, code] of cases) {
    const r = await sqlRaw(h.url(), token ?? '', text);
    expect([text, r.status, r.body.status, r.body.error?.code]).toEqual([text, status, 'error', code]);
  }
  const none = await fetch(`${h.url()}/v1/api/sql`, { method: 'POST', body: JSON.stringify({ sql: 'SELECT 1' }) });
  expect([none.status, ((await none.json()) as { error: { code: string } }).error.code]).toEqual([401, 'AUTH_REQUIRED']);
  const basic = await fetch(`${h.url()}/v1/api/sql`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` }, body: JSON.stringify({ sql: 'SELECT 1' }) });
  expect([basic.status, ((await basic.json()) as { error: { code: string } }).error.code]).toEqual([401, 'AUTH_FAILED']); // only Bearer tokens (§2.3)
  const huge = await fetch(`${h.url()}/v1/api/sql`, { method: 'POST', headers: { authorization: `Bearer ${h.adminToken}` }, body: JSON.stringify({ sql: `SELECT '${'x'.repeat(1024 * 1024)}'` }) });
  expect(huge.status).toBe(413);
  expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('MESSAGE_TOO_LARGE');
  const notJson = await fetch(`${h.url()}/v1/api/sql`, { method: 'POST', headers: { authorization: `Bearer ${h.adminToken}` }, body: '{' });
  expect(notJson.status).toBe(400);
});

it('unknown routes → 404 JSON; wrong method → 405', async () => {
  expect((await fetch(`${h.url()}/nope`)).status).toBe(404);
  expect((await fetch(`${h.url()}/v1/api/sql`)).status).toBe(405);
  expect((await fetch(`${h.url()}/v1/ws`)).status).toBe(404);
});

it('CORS: origins are reflected and preflights answered (any origin without an allow-list)', async () => {
  const pre = await fetch(`${h.url()}/v1/api/sql`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
  const res = await fetch(`${h.url()}/health`, { headers: { origin: 'http://localhost:5173' } });
  expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
});

it('an INSERT fans its change out to subscribers before it answers the writer', async () => {
  await sql(h.url(), h.adminToken, 'CREATE SHARED TABLE h.order_probe (id INT PRIMARY KEY)');
  const c = await Client.connect(h.wsUrl(), h.adminToken);
  const writes: string[] = [];
  const port = c.socket?.localPort;
  const socketProto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (this: net.Socket, ...args: unknown[]) => void>;
  const realWrite = socketProto._write;
  const realWritev = socketProto._writev;
  const realEnd = http.ServerResponse.prototype.end;
  try {
    c.subscribe('o', 'SELECT * FROM h.order_probe', {});
    await c.next('subscription_ack');
    await c.next('initial_data_batch');
    socketProto._write = function (...args) {
      if (this.remotePort === port) writes.push('change');
      return realWrite.apply(this, args);
    };
    socketProto._writev = function (...args) {
      if (this.remotePort === port) writes.push('change');
      return realWritev.apply(this, args);
    };
    http.ServerResponse.prototype.end = function (this: http.ServerResponse, ...args: unknown[]) {
      writes.push('response');
      return (realEnd as (...a: unknown[]) => http.ServerResponse).apply(this, args);
    } as typeof realEnd;
    await sql(h.url(), h.adminToken, 'INSERT INTO h.order_probe (id) VALUES (1)');
    await c.next('change');
    expect(writes).toEqual(['change', 'response']);
  } finally {
    socketProto._write = realWrite;
    socketProto._writev = realWritev;
    http.ServerResponse.prototype.end = realEnd;
    c.ws.close();
    await c.closed;
  }
});

it('request bodies: chunked bodies are read whole; one growing past the limit is refused and the server carries on', async () => {
  const post = (chunks: readonly string[]): Promise<{ status: number; body: string } | 'reset'> =>
    new Promise((resolve) => {
      const req = http.request(`${h.url()}/v1/api/sql`, { method: 'POST', headers: { authorization: `Bearer ${h.adminToken}`, 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve('reset'));
      });
      req.on('error', () => resolve('reset'));
      for (const c of chunks) req.write(c);
      req.end();
    });
  const whole = await post(['{"sql": "SELECT name ', 'FROM h.t WHERE id = 92233', '72036854775807"}']);
  expect(whole).toMatchObject({ status: 200 });
  expect(JSON.parse((whole as { body: string }).body).results[0].rows).toEqual([{ name: 'max' }]);
  const big = 'x'.repeat(64 * 1024);
  const refused = await post(['{"sql": "SELECT ', ...Array.from({ length: 20 }, () => big), '"}']);
  if (refused !== 'reset') expect(refused.status).toBe(413);
  expect((await sqlRaw(h.url(), h.adminToken, 'SELECT name FROM h.t WHERE id = 9223372036854775807')).body.results?.[0]?.rows).toEqual([{ name: 'max' }]);
});
