#!/usr/bin/env node
// `npm start`: the reference server on embedded RocksDB (./.kalam-data), a seeded demo, and the
// React example served from the same port. Ctrl-C stops it; the next start keeps the data.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer } from '@kalam/protocol-spec';

const root = fileURLToPath(new URL('..', import.meta.url));
const appDir = fileURLToPath(new URL('./react-live/', import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const dataDir = process.env.KALAM_DATA_DIR ?? `${root}.kalam-data`;
const adminPassword = process.env.KALAM_ADMIN_PASSWORD ?? 'kalam-admin';
const demoUsers = [
  { name: 'alice', password: 'alice-password' },
  { name: 'bob', password: 'bob-password' },
];

if (process.env.KALAM_SKIP_APP_BUILD !== '1' || !existsSync(`${appDir}dist/index.html`)) {
  const { build } = await import('vite');
  await build({ configFile: `${appDir}vite.config.mjs`, logLevel: 'warn' });
}

const server = await startServer({ port, dataDir, adminPassword, staticDir: `${appDir}dist` });
await seed(server.url);

console.log(`
Kalam Live is running
  app:      ${server.url}/            (open it in two windows: changes show in both at once)
  users:    ${demoUsers.map((u) => `${u.name} / ${u.password}`).join(', ')}   — or ${server.url}/?user=alice&password=alice-password
  admin:    admin / ${adminPassword}   (try: curl -u admin:${adminPassword} … or KILL CONNECTION from the SQL API)
  data:     ${dataDir}
Ctrl-C to stop.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await server.close();
    process.exit(0);
  });
}

async function seed(url) {
  const admin = await login(url, 'admin', adminPassword);
  await sql(url, admin, 'CREATE NAMESPACE IF NOT EXISTS demo');
  await sql(url, admin, 'CREATE USER TABLE IF NOT EXISTS demo.todos (id TEXT PRIMARY KEY, title TEXT NOT NULL, done BOOLEAN NOT NULL)');
  for (const user of demoUsers) {
    await sql(url, admin, `CREATE USER ${user.name} WITH PASSWORD '${user.password}' ROLE user`, { ignore: ['CONFLICT'] });
    const token = await login(url, user.name, user.password);
    const [existing] = await sql(url, token, 'SELECT id FROM demo.todos LIMIT 1');
    if (existing.row_count === 0) {
      await sql(url, token, `INSERT INTO demo.todos (id, title, done) VALUES
        ('welcome-1', 'Open this page in a second window', false),
        ('welcome-2', 'Tick a box here and watch the other window', false),
        ('welcome-3', 'Stop and restart the server: nothing is lost or doubled', false)`);
    }
  }
}

async function login(url, username, password) {
  const res = await fetch(`${url}/v1/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`login ${username}: ${body.error?.code} ${body.error?.message}`);
  return body.access_token;
}

async function sql(url, token, statement, { ignore = [] } = {}) {
  const res = await fetch(`${url}/v1/api/sql`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ sql: statement }),
  });
  const body = await res.json();
  if (!res.ok) {
    if (ignore.includes(body.error?.code)) return [];
    throw new Error(`${statement.split('\n')[0]}: ${body.error?.code} ${body.error?.message}`);
  }
  return body.results;
}
