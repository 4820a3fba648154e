/**
 * A real reference server for the SDK tests: port 0, a temp RocksDB dir, an admin, a user and a
 * table; plus admin SQL over HTTP and a stop/restart on the same port and data dir.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '@kalam/protocol-spec';
import { nodeFetch } from './nodeFetch.js';

export const ADMIN_PASSWORD = 'sdk-admin-password';
export const USER = 'alice';
export const USER_PASSWORD = 'alice-password';
const JWT_SECRET = 'sdk-tests-jwt-secret-0123456789abcdef';

type ServerOptions = Parameters<typeof startServer>[0];

/** The part of a running server the fixture uses. */
interface Running {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Where the server runs: in this process, or in a child process (needed under jsdom). */
export type ServerMode = 'in-process' | 'child-process';

interface Launcher {
  start(options: ServerOptions): Promise<Running>;
  dispose(): Promise<void>;
}

const inProcess: Launcher = {
  start: (options) => startServer(options),
  dispose: async () => {},
};

/** A child process running the server from source, started and stopped over IPC. */
async function childProcess(): Promise<Launcher> {
  const child: ChildProcess = fork(path.join(__dirname, 'serverChild.cjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 0;
  const pending = new Map<number, { resolve: (m: ChildReply) => void; reject: (e: Error) => void }>();
  interface ChildReply {
    id?: number;
    ok?: boolean;
    ready?: boolean;
    url?: string;
    port?: number;
    error?: string;
  }
  let exitError: Error | undefined;
  await new Promise<void>((resolve, reject) => {
    child.on('message', (raw) => {
      const message = raw as ChildReply;
      if (message.ready === true) resolve();
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (waiter === undefined || message.id === undefined) return;
      pending.delete(message.id);
      if (message.ok === true) waiter.resolve(message);
      else waiter.reject(new Error(message.error ?? 'server child failed'));
    });
    child.once('exit', (code) => {
      exitError = new Error(`server child exited (${code})`);
      reject(exitError);
      for (const waiter of pending.values()) waiter.reject(exitError);
      pending.clear();
    });
  });
  const call = (message: Record<string, unknown>): Promise<ChildReply> =>
    new Promise((resolve, reject) => {
      if (exitError !== undefined) return reject(exitError);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ ...message, id });
    });
  return {
    async start(options) {
      const reply = await call({ cmd: 'start', options });
      return { url: reply.url as string, port: reply.port as number, close: async () => void (await call({ cmd: 'stop' })) };
    },
    async dispose() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}

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
export async function startFixture(mode: ServerMode = 'in-process', ns = 'app'): Promise<Fixture> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'kalam-sdk-'));
  const launcher = mode === 'in-process' ? inProcess : await childProcess();
  let server: Running | undefined = await launcher.start({ port: 0, dataDir, adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET });
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
      const response = await nodeFetch(`${fixture.url}/v1/api/sql`, {
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
      server = await launcher.start({ port: fixture.port, dataDir, adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET });
      fixture.url = server.url;
    },
    async close() {
      await fixture.stop();
      await launcher.dispose();
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
  const response = await nodeFetch(`${url}/v1/api/auth/login`, {
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
