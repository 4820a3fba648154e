/**
 * Bad input over HTTP: malformed bodies, headers and SQL get typed 4xx errors
 * (`{status:"error", error:{code, message}}`), never a 5xx, and the server keeps serving.
 */
import { health, isErrorBody, postRaw, sqlRaw, type HttpResult } from '../support/http.js';
import { tokenFor } from '../support/jwt.js';
import { createRng } from '../support/rng.js';
import { JWT_SECRET, startTestServer, type TestServer } from '../support/server.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);

function expectTyped(result: HttpResult, status: number | readonly number[], codes: readonly string[]): void {
  const statuses = typeof status === 'number' ? [status] : status;
  const summary = `${result.status} ${JSON.stringify(result.body).slice(0, 300)}`;
  expect({ ok: statuses.includes(result.status) && isErrorBody(result.body) && codes.includes(result.body.error.code), summary }).toEqual({ ok: true, summary });
}

describe('HTTP bad input', () => {
  let server: TestServer;
  let json: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer();
    json = { 'content-type': 'application/json', authorization: `Bearer ${server.adminToken}` };
    const setup = ['CREATE NAMESPACE bad', 'CREATE SHARED TABLE bad.t (id INT PRIMARY KEY, name TEXT NOT NULL, n BIGINT)', "INSERT INTO bad.t (id, name, n) VALUES (1, 'a', 1)"];
    for (const statement of setup) expect((await sqlRaw(server.url, server.adminToken, statement)).status).toBe(200);
  });

  afterAll(async () => {
    await server.close();
  });

  test.each([
    ['not JSON', '{sql: SELECT 1'],
    ['a JSON array', '["SELECT * FROM bad.t"]'],
    ['a JSON string', '"SELECT * FROM bad.t"'],
    ['null', 'null'],
    ['no sql field', '{}'],
    ['sql is a number', '{"sql": 5}'],
    ['sql is an object', '{"sql": {"text": "SELECT 1"}}'],
    ['sql is blank', '{"sql": "   "}'],
    ['params is a string', '{"sql": "SELECT * FROM bad.t WHERE id = $1", "params": "1"}'],
    ['params is an object', '{"sql": "SELECT * FROM bad.t WHERE id = $1", "params": {"0": 1}}'],
    ['truncated body', '{"sql": "SELECT * FROM bad.t", "par'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x73, 0x71, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
  ])('malformed SQL body (%s) → 400 typed error', async (_name, body) => {
    expectTyped(await postRaw(server.url, '/v1/api/sql', body, json), 400, ['INVALID_ARGUMENT', 'INVALID_SQL']);
  });

  test('a body over the 1 MiB limit → 413 MESSAGE_TOO_LARGE', async () => {
    const body = JSON.stringify({ sql: `SELECT * FROM bad.t WHERE name = '${'x'.repeat(1024 * 1024)}'` });
    expectTyped(await postRaw(server.url, '/v1/api/sql', body, json), 413, ['MESSAGE_TOO_LARGE']);
  });

  test.each([
    ['no Authorization header', undefined, 'AUTH_REQUIRED'],
    ['garbage bearer token', 'Bearer not-a-jwt', 'AUTH_FAILED'],
    ['token signed with another secret', `Bearer ${tokenFor('admin', 'dba', 'another-secret', 60_000)}`, 'AUTH_FAILED'],
    ['unsigned alg:none token', `Bearer ${tokenFor('admin', 'dba', null, 60_000)}`, 'AUTH_FAILED'],
    ['expired token', `Bearer ${tokenFor('admin', 'dba', JWT_SECRET, -60_000)}`, 'AUTH_EXPIRED'],
    ['token for an unknown user', `Bearer ${tokenFor('ghost', 'dba', JWT_SECRET, 60_000)}`, 'AUTH_FAILED'],
    ['wrong Basic password', `Basic ${Buffer.from('admin:wrong').toString('base64')}`, 'AUTH_FAILED'],
  ])('SQL with %s → 401 typed error', async (_name, authorization, code) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization !== undefined) headers.authorization = authorization;
    const result = await postRaw(server.url, '/v1/api/sql', JSON.stringify({ sql: 'SELECT * FROM bad.t' }), headers);
    expectTyped(result, 401, code === 'AUTH_EXPIRED' ? ['AUTH_EXPIRED', 'AUTH_FAILED'] : [code]);
  });

  test.each([
    ['not JSON', 'user=admin'],
    ['username is a number', '{"username": 1, "password": "x"}'],
    ['wrong password', '{"username": "admin", "password": "nope"}'],
    ['unknown user', '{"username": "ghost", "password": "nope"}'],
  ])('login with %s → typed 4xx', async (_name, body) => {
    const result = await postRaw(server.url, '/v1/api/auth/login', body, { 'content-type': 'application/json' });
    expectTyped(result, [400, 401], ['INVALID_ARGUMENT', 'AUTH_FAILED']);
  });

  test.each([
    ['syntax error', 'SELEC * FROM bad.t', 400, ['INVALID_SQL']],
    ['unknown table', 'SELECT * FROM bad.nope', 404, ['NOT_FOUND']],
    ['unknown namespace', 'SELECT * FROM nowhere.t', 404, ['NOT_FOUND']],
    ['unknown column', 'SELECT nope FROM bad.t', [400, 404], ['INVALID_SQL', 'NOT_FOUND']],
    ['duplicate primary key', "INSERT INTO bad.t (id, name) VALUES (1, 'dup')", 409, ['CONFLICT']],
    ['NOT NULL violated', 'INSERT INTO bad.t (id, name) VALUES (2, NULL)', 400, ['INVALID_ARGUMENT', 'INVALID_SQL', 'CONVERSION_ERROR']],
    ['wrong value type', "INSERT INTO bad.t (id, name) VALUES ('abc', 'x')", 400, ['INVALID_ARGUMENT', 'INVALID_SQL', 'CONVERSION_ERROR']],
    ['BIGINT out of range', "INSERT INTO bad.t (id, name, n) VALUES (3, 'x', 99999999999999999999999)", 400, ['INVALID_ARGUMENT', 'INVALID_SQL', 'CONVERSION_ERROR']],
    ['missing parameter', 'SELECT * FROM bad.t WHERE id = $2', 400, ['INVALID_ARGUMENT', 'INVALID_SQL']],
    ['unterminated string', "SELECT * FROM bad.t WHERE name = 'x", 400, ['INVALID_SQL']],
    ['a join', 'SELECT * FROM bad.t a JOIN bad.t b ON a.id = b.id', 400, ['UNSUPPORTED', 'INVALID_SQL']],
    ['table without a primary key', 'CREATE SHARED TABLE bad.nopk (id INT)', 400, ['INVALID_SQL', 'INVALID_ARGUMENT', 'UNSUPPORTED']],
    ['comment only', '-- nothing', 400, ['INVALID_SQL', 'INVALID_ARGUMENT']],
    ['KILL of an unknown connection', "KILL CONNECTION 'ffffffffffffffffffffffffffffffff'", 404, ['NOT_FOUND']],
    ['KILL of an unknown live query', "KILL LIVE QUERY 'ffff:nope'", 404, ['NOT_FOUND']],
  ] as const)('SQL %s → typed 4xx', async (_name, statement, status, codes) => {
    expectTyped(await sqlRaw(server.url, server.adminToken, statement), status, codes);
  });

  test('wrong parameter types → typed 400', async () => {
    const result = await sqlRaw(server.url, server.adminToken, 'INSERT INTO bad.t (id, name) VALUES ($1, $2)', [{ nested: true }, [1, 2]]);
    expectTyped(result, 400, ['INVALID_ARGUMENT', 'INVALID_SQL', 'CONVERSION_ERROR']);
  });

  test(`seeded random SQL (seed ${SEED}): 400 statements, every failure a typed 4xx, never a 5xx`, async () => {
    const rng = createRng(SEED);
    const words = ['SELECT', 'INSERT', 'INTO', 'VALUES', 'UPDATE', 'SET', 'DELETE', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'IS', 'NULL',
      'ORDER', 'BY', 'LIMIT', 'CREATE', 'DROP', 'TABLE', 'USER', 'SHARED', 'NAMESPACE', 'KILL', 'LIVE', 'QUERY', 'CONNECTION', 'ALTER', 'ROLE',
      'bad.t', 'bad', 't', 'system.users', 'system.live_queries', 'id', 'name', 'n', '_seq', '*', ',', '(', ')', '=', '<>', '<', '>=', "'x'", "'", '"', ';',
      '1', '-1', '1e308', '99999999999999999999', '$1', '$0', '$999', '--', '/*', '*/', 'PRIMARY', 'KEY', 'INT', 'TEXT', 'BIGINT', 'JSON', '\u0000', '🙂'];
    const fives: string[] = [];
    for (let i = 0; i < 400; i++) {
      const statement = Array.from({ length: rng.int(1, 14) }, () => rng.pick(words)).join(' ');
      const result = await sqlRaw(server.url, server.adminToken, statement, rng.chance(0.3) ? [rng.int(0, 3), 'p'] : undefined);
      if (result.status === 200) continue;
      if (result.status >= 500 || !isErrorBody(result.body)) fives.push(`${result.status} ${statement} → ${JSON.stringify(result.body).slice(0, 200)}`);
    }
    expect(fives).toEqual([]);
    expect((await health(server.url)).status).toBe(200);
  });

  test('unknown routes and methods → typed 404 / 405', async () => {
    const missing = await postRaw(server.url, '/v1/api/nope', '{}', json);
    expectTyped(missing, 404, ['NOT_FOUND']);
    const response = await fetch(`${server.url}/v1/api/sql`, { method: 'GET', headers: json });
    expect(response.status).toBe(405);
    expect(isErrorBody(await response.json())).toBe(true);
  });
});
