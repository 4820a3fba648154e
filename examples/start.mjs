#!/usr/bin/env node
// `npm start`: the reference server on embedded RocksDB (./.kalam-data), a seeded demo, and the
// React example served from the same port. Ctrl-C stops it; the next start keeps the data.
//
// Env: PORT (8080), HOST (127.0.0.1), KALAM_DATA_DIR (./.kalam-data), KALAM_ADMIN_PASSWORD
// (kalam-admin, set when the data dir is first created), KALAM_SKIP_APP_BUILD=1 (reuse dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer } from '@kalam/protocol-spec';

const root = fileURLToPath(new URL('..', import.meta.url));
const appDir = fileURLToPath(new URL('./react-live/', import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const dataDir = process.env.KALAM_DATA_DIR ?? `${root}.kalam-data`;
const adminPassword = process.env.KALAM_ADMIN_PASSWORD ?? 'kalam-admin';
const demoUsers = [
  { name: 'alice', password: 'alice-password' },
  { name: 'bob', password: 'bob-password' },
];
const welcome = [
  'Open this page in a second window',
  'Tick a box here and watch the other window',
  'Stop and restart the server: nothing is lost or doubled',
];

if (process.env.KALAM_SKIP_APP_BUILD !== '1' || !existsSync(`${appDir}dist/index.html`)) {
  const { build } = await import('vite');
  await build({ configFile: `${appDir}vite.config.mjs`, logLevel: 'warn' });
}

let server;
try {
  server = await startServer({ port, host, dataDir, adminPassword, staticDir: `${appDir}dist` });
} catch (error) {
  if (error?.code === 'EADDRINUSE') {
    console.error(`Port ${port} is in use. Stop the other server or run: PORT=8081 npm start`);
    process.exit(1);
  }
  throw error;
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) process.exit(130); // a second Ctrl-C does not wait for the clean close
    stopping = true;
    console.log('\nStopping (closing sockets and the database)…');
    server.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

const seeded = await seed(server.url);
const appUrl = `${server.url}/`;
console.log(`
Kalam Live is running
  app:      ${appUrl}   (open it in two windows: changes show in both at once)
            ${appUrl}?user=alice&password=alice-password   signs in directly
  users:    ${demoUsers.map((u) => `${u.name} / ${u.password}`).join(', ')}
  admin:    admin / ${adminPassword}
            TOKEN=$(curl -s -u admin:${adminPassword} -X POST ${server.url}/v1/api/auth/login | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
            curl -s -H "authorization: Bearer $TOKEN" ${server.url}/v1/api/sql -d '{"sql":"SELECT * FROM system.connections"}'
  tail:     npm run tail   (prints alice's todos and every change)
  data:     ${dataDir} (${seeded ? 'new demo data' : 'kept from the last run'})
Ctrl-C to stop.`);

/** Create the demo table and users; a user's welcome todos are written once, when the user is created. */
async function seed(url) {
  const admin = await login(url, 'admin', adminPassword);
  await sql(url, admin, 'CREATE NAMESPACE IF NOT EXISTS demo');
  await sql(url, admin, 'CREATE USER TABLE IF NOT EXISTS demo.todos (id TEXT PRIMARY KEY, title TEXT NOT NULL, done BOOLEAN NOT NULL, created_at BIGINT NOT NULL)');
  let created = false;
  for (const user of demoUsers) {
    const fresh = await sql(url, admin, `CREATE USER ${user.name} WITH PASSWORD '${user.password}' ROLE user`, { ignore: ['CONFLICT'] });
    if (fresh === undefined) continue;
    created = true;
    const token = await login(url, user.name, user.password);
    const now = Date.now();
    for (const [i, title] of welcome.entries()) {
      await sql(url, token, 'INSERT INTO demo.todos (id, title, done, created_at) VALUES ($1, $2, false, $3)', {
        params: [`welcome-${i + 1}`, title, now + i],
      });
    }
  }
  return created;
}

async function login(url, username, password) {
  const res = await fetch(`${url}/v1/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`login ${username}: ${body.error?.code} ${body.error?.message}`);
  return body.access_token;
}

/** Run one statement; `undefined` when it failed with one of the `ignore` codes. */
async function sql(url, token, statement, { params, ignore = [] } = {}) {
  const res = await fetch(`${url}/v1/api/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(params === undefined ? { sql: statement } : { sql: statement, params }),
  });
  const body = await res.json();
  if (!res.ok) {
    if (ignore.includes(body.error?.code)) return undefined;
    throw new Error(`${statement}: ${body.error?.code} ${body.error?.message}`);
  }
  return body.results;
}
