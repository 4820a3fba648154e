/**
 * A real reference server for the SDK tests: port 0, a temp RocksDB dir, an admin, a user and a
 * table; plus admin SQL over HTTP and a stop/restart on the same port and data dir.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '@kalam/protocol-spec';

export const ADMIN_PASSWORD = 'sdk-admin-password';
export const USER = 'alice';
export const USER_PASSWORD = 'alice-password';
const JWT_SECRET = 'sdk-tests-jwt-secret-0123456789abcdef';

type Server = Awaited<ReturnType<typeof startServer>>;

/** One statement's raw HTTP result. */
export interface RawResult {
  readonly columns: ReadonlyArray<{ readonly name: string }>;
  readonly rows: ReadonlyArray<Record<string, unknown>>;
  readonly row_count: number;
  readonly last_seq?: string;
}

/** A running test server. */
export interface Fixture {
  url: string;
  port: number;
  readonly dataDir: string;
  /** Run SQL as `admin` (dba) or as another user; throws on an error status. */
  sql(sql: string, params?: readonly unknown[], as?: { user: string; password: string }): Promise<RawResult[]>;
  /** Rows of `system.live_queries` (as admin). */
  liveQueries(): Promise<ReadonlyArray<Record<string, unknown>>>;
  /** Rows of `system.connections` (as admin). */
  connections(): Promise<ReadonlyArray<Record<string, unknown>>>;
  /** Stop the server (sockets get 1001) without removing the data. */
  stop(): Promise<void>;
  /** Start it again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stop and remove the data dir. */
  close(): Promise<void>;
}

/**
 * Start a server with user `alice` and a user table `<ns>.todos (id BIGINT PK, title TEXT NOT NULL, done BOOLEAN NOT NULL)`.
 */
export async function startFixture(ns = 'app'): Promise<Fixture> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'kalam-sdk-'));
  let server: Server | undefined = await startServer({ port: 0, dataDir, adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET });
  const tokens = new Map<string, string>();

  const fixture: Fixture = {
    url: server.url,
    port: server.port,
    dataDir,
    async sql(sql, params, as = { user: 'admin', password: ADMIN_PASSWORD }) {
      let token = tokens.get(as.user);
      if (token === undefined) {
        token = await login(fixture.url, as.user, as.password);
        tokens.set(as.user, token);
      }
      const body = params === undefined ? { sql } : { sql, params };
      const response = await fetch(`${fixture.url}/v1/api/sql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
      });
      const json = (await response.json()) as { results?: RawResult[]; error?: { code: string; message: string } };
      if (!response.ok || json.results === undefined) throw new Error(`${sql}: ${response.status} ${JSON.stringify(json.error)}`);
      return json.results;
    },
    async liveQueries() {
      const [result] = await fixture.sql('SELECT * FROM system.live_queries');
      return result?.rows ?? [];
    },
    async connections() {
      const [result] = await fixture.sql('SELECT * FROM system.connections');
      return result?.rows ?? [];
    },
    async stop() {
      const s = server;
      server = undefined;
      await s?.close();
    },
    async restart() {
      if (server !== undefined) throw new Error('server is running');
      server = await startServer({ port: fixture.port, dataDir, adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET });
      fixture.url = server.url;
    },
    async close() {
      await fixture.stop();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    },
  };

  try {
    await fixture.sql(`CREATE NAMESPACE IF NOT EXISTS ${ns}`);
    await fixture.sql(`CREATE USER TABLE IF NOT EXISTS ${ns}.todos (id BIGINT PRIMARY KEY, title TEXT NOT NULL, done BOOLEAN NOT NULL)`);
    await fixture.sql(`CREATE USER ${USER} WITH PASSWORD '${USER_PASSWORD}' ROLE user`);
  } catch (error) {
    await fixture.close();
    throw error;
  }
  return fixture;
}

/** SQL as alice. */
export function asAlice(fixture: Fixture, sql: string, params?: readonly unknown[]): Promise<RawResult[]> {
  return fixture.sql(sql, params, { user: USER, password: USER_PASSWORD });
}

async function login(url: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${url}/v1/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const json = (await response.json()) as { access_token?: string };
  if (!response.ok || json.access_token === undefined) throw new Error(`login ${username}: ${response.status}`);
  return json.access_token;
}

/** Poll `check` until it returns true (for server-side effects that have no event), failing after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
