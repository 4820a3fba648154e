/**
 * Start the reference server on port 0 in a temp dir, with the bench table
 * `bench.rows (id BIGINT PRIMARY KEY, title TEXT, body TEXT, ts DOUBLE)` — the baseline row
 * plus the writer's monotonic timestamp — and an admin token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { login, sql, closeAgent } from './kalamHttp.mjs';
import { TITLE, BODY } from './payload.mjs';

export const ADMIN_PASSWORD = 'bench-admin-pw';
export const JWT_SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
export const TABLE = 'bench.rows';

export async function startKalam({ limits, table = true } = {}) {
  const { startServer } = await import('@kalam/protocol-spec');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kalam-bench-'));
  const server = await startServer({ port: 0, dataDir, adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET, ...(limits ? { limits } : {}) });
  const token = await login(server.url, 'admin', ADMIN_PASSWORD);
  if (table) {
    await sql(server.url, token, 'CREATE NAMESPACE bench');
    await sql(server.url, token, `CREATE SHARED TABLE ${TABLE} (id BIGINT PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, ts DOUBLE NOT NULL)`);
  }
  return {
    server,
    url: server.url,
    wsUrl: `${server.url.replace(/^http/, 'ws')}/v1/ws`,
    token,
    sql: (text, params) => sql(server.url, token, text, params),
    async close() {
      await server.close();
      closeAgent();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Width of one id group (see {@link groupRange}). */
export const GROUP_WIDTH = 10_000_000;

/** Subscription WHERE for id group `g`: rows written with `groups` > 1 land in group `index % groups`. */
export function groupRange(g) {
  return `id >= ${g * GROUP_WIDTH} AND id < ${(g + 1) * GROUP_WIDTH}`;
}

/** `INSERT` of rows `[first, first + n)` all stamped with `ts`; with `groups` > 1 row r gets id group r % groups. */
export function insertSql(first, n, ts, groups = 1) {
  const values = [];
  for (let i = 0; i < n; i++) {
    const r = first + i;
    const id = groups > 1 ? (r % groups) * GROUP_WIDTH + r : r;
    values.push(`(${id}, '${TITLE}', '${BODY}', ${ts})`);
  }
  return `INSERT INTO ${TABLE} (id, title, body, ts) VALUES ${values.join(', ')}`;
}
