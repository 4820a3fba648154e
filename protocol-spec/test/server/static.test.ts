/**
 * `startServer({ staticDir })`: files with their content types, `index.html` for `/` and page
 * routes, 404 for missing assets, nothing outside the directory (dot segments, encoded
 * separators, symlinks), GET/HEAD only, and the API never shadowed.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type KalamServer } from '@kalam/protocol-spec';

let dir: string;
let server: KalamServer;

/** A raw request: `fetch` would normalise `..` away before it reaches the server. */
function raw(method: string, urlPath: string): Promise<{ status: number; type: string | undefined; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path: urlPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kalam-static-'));
  const www = path.join(dir, 'www');
  mkdirSync(path.join(www, 'assets'), { recursive: true });
  mkdirSync(path.join(www, 'docs'));
  writeFileSync(path.join(www, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(www, 'assets', 'app-1a2b.js'), 'console.log(1)');
  writeFileSync(path.join(www, 'assets', 'app-1a2b.css'), 'body{}');
  writeFileSync(path.join(www, 'docs', 'index.html'), 'docs index');
  writeFileSync(path.join(www, 'logo.svg'), '<svg/>');
  writeFileSync(path.join(www, '.env'), 'SECRET=1');
  writeFileSync(path.join(dir, 'secret.txt'), 'outside the root');
  symlinkSync(path.join(dir, 'secret.txt'), path.join(www, 'escape.txt'));
  server = await startServer({ port: 0, dataDir: path.join(dir, 'data'), adminPassword: 'static-admin', staticDir: www });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

it('serves files with their content types; / and directories get index.html', async () => {
  const home = await raw('GET', '/');
  expect(home).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>app</title>' });
  expect(home.headers['cache-control']).toBe('no-cache');
  const js = await raw('GET', '/assets/app-1a2b.js?v=1');
  expect(js).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'console.log(1)' });
  expect(js.headers['cache-control']).toContain('immutable');
  expect(js.headers['x-content-type-options']).toBe('nosniff');
  expect(await raw('GET', '/assets/app-1a2b.css')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
  expect(await raw('GET', '/logo.svg')).toMatchObject({ status: 200, type: 'image/svg+xml' });
  expect(await raw('GET', '/docs')).toMatchObject({ status: 200, body: 'docs index' });
});

it('HEAD sends the headers only', async () => {
  const head = await raw('HEAD', '/assets/app-1a2b.js');
  expect(head).toMatchObject({ status: 200, body: '' });
  expect(head.headers['content-length']).toBe(String('console.log(1)'.length));
});

it('unknown page routes fall back to index.html; a missing asset is a 404', async () => {
  expect(await raw('GET', '/board/42')).toMatchObject({ status: 200, body: '<!doctype html><title>app</title>' });
  expect(await raw('GET', '/assets/missing-0000.js')).toMatchObject({ status: 404, type: 'text/plain; charset=utf-8' });
});

it.each([
  '/../secret.txt',
  '/assets/../../secret.txt',
  '/%2e%2e/secret.txt',
  '/assets/..%2f..%2fsecret.txt',
  '/..%5csecret.txt',
  '/.env',
  '/escape.txt',
  '/index.html%00.js',
])('never serves outside the directory or hidden files: %s', async (urlPath) => {
  const res = await raw('GET', urlPath);
  expect(res.status).toBe(404);
  expect(res.body).not.toContain('outside the root');
  expect(res.body).not.toContain('SECRET');
});

it('a malformed escape is a 400', async () => {
  expect(await raw('GET', '/%E0%A4%A')).toMatchObject({ status: 400 });
});

it('other methods and the API paths are left to the API', async () => {
  const health = await raw('GET', '/health');
  expect(health.status).toBe(200);
  expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', protocol: 1 });
  expect(await raw('GET', '/v1/api/sql')).toMatchObject({ status: 405, type: 'application/json; charset=utf-8' });
  const unknownApi = await raw('GET', '/v1/nothing-here');
  expect(unknownApi.status).toBe(404);
  expect(JSON.parse(unknownApi.body)).toMatchObject({ status: 'error', error: { code: 'NOT_FOUND' } });
  const post = await raw('POST', '/index.html');
  expect(post.status).toBe(404);
  expect(JSON.parse(post.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  const login = await fetch(`${server.url}/v1/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'static-admin' }) });
  expect(login.status).toBe(200);
});

it('without staticDir, / is the API 404', async () => {
  const bare = await startServer({ port: 0, dataDir: path.join(dir, 'data-bare'), adminPassword: 'static-admin' });
  try {
    const res = await fetch(`${bare.url}/`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  } finally {
    await bare.close();
  }
});
