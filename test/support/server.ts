/**
 * Reference-server fixtures: in-process (`startServer`) and as a child process (the built CLI,
 * for kill -9 / clean-stop restarts). Each gets its own temp data dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer } from '@kalam/protocol-spec';
import { login } from './http.js';
import { makeTempDir, removeTempDir } from './tempDir.js';

/** Admin password of every test server. */
export const ADMIN_PASSWORD = 'chaos-admin-password';
/** HS256 secret of every test server (fixed so tokens survive restarts). */
export const JWT_SECRET = 'chaos-suite-jwt-secret-0123456789abcdef';

/** Options of {@link startServer}, as the server declares them. */
export type ServerOptions = Parameters<typeof startServer>[0];

/** An in-process reference server on a free port. */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Token of the `admin` dba. */
  readonly adminToken: string;
  /** Stop the server (and remove the data dir unless it was given). */
  close(): Promise<void>;
}

/** Start the reference server in-process in a fresh temp dir (or `options.dataDir`). */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await makeTempDir('srv'));
  const server = await startServer({ port: 0, adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET, ...options, dataDir });
  const adminToken = await login(server.url, 'admin', ADMIN_PASSWORD);
  return {
    url: server.url,
    port: server.port,
    dataDir,
    adminToken,
    close: async () => {
      await server.close();
      if (ownDir) await removeTempDir(dataDir);
    },
  };
}

/** Path of the built CLI (`npm run build` produces it; `npm test` builds first). */
export const CLI_PATH = path.resolve(__dirname, '../../protocol-spec/dist/cli.js');

/** A reference server running as a child process. */
export interface ChildServer {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Everything the process printed (stdout + stderr). */
  output(): string;
  /** Send a signal and wait for the exit. */
  stop(signal: 'SIGKILL' | 'SIGTERM' | 'SIGINT'): Promise<number | string>;
}

/** Spawn `node protocol-spec/dist/cli.js --port 0 --data-dir <dataDir>` and wait for its `listening on` line. */
export async function spawnServer(dataDir: string, extraArgs: readonly string[] = [], timeoutMs = 15000): Promise<ChildServer> {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first (\`npm test\` does).`);
  }
  const child = spawn(
    process.execPath,
    [CLI_PATH, '--port', '0', '--data-dir', dataDir, '--admin-password', ADMIN_PASSWORD, '--jwt-secret', JWT_SECRET, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not print "listening on" within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (data: Buffer): void => {
      output += data.toString();
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data: Buffer) => {
      output += data.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    exited,
    output: () => output,
    stop: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
