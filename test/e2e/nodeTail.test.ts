/**
 * examples/node-tail as a child process against the real server: the snapshot and every change
 * are printed once, across a server restart on the same port and data dir — including changes
 * committed after the restart but before the tail reconnected (replayed from the change log).
 * Needs `npm run build` (the example imports the built @kalam/client).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startServer, type KalamServer } from '@kalam/protocol-spec';
import { login, sql } from '../support/http.js';
import { makeTempDir, removeTempDir } from '../support/tempDir.js';

const TAIL = path.resolve(__dirname, '../../examples/node-tail/index.mjs');
const ADMIN_PASSWORD = 'tail-admin';
const JWT_SECRET = 'node-tail-test-secret-0123456789abcdef';

let dataDir: string;
let server: KalamServer | undefined;
let child: ChildProcess | undefined;
let stdout = '';
let stderr = '';

async function start(port: number): Promise<KalamServer> {
  server = await startServer({ port, dataDir, adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET });
  return server;
}

/** Printed lines as `kind {row without _seq}`, plus each line's `_seq`. */
function printed(): Array<{ line: string; seq: string | undefined }> {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const match = /^(\w+)\s+(\{.*\})$/.exec(l);
      if (match === null) return { line: l, seq: undefined };
      const { _seq, ...row } = JSON.parse(match[2] ?? '{}') as Record<string, unknown>;
      return { line: `${match[1]} ${JSON.stringify(row)}`, seq: typeof _seq === 'string' ? _seq : undefined };
    });
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const readyCount = (): number => stderr.split('\n').filter((l) => l === '# connection: ready').length;
const row = (id: string, title: string, done: boolean, createdAt: number): string => JSON.stringify({ id, title, done, created_at: String(createdAt) });

beforeAll(async () => {
  dataDir = await makeTempDir('tail');
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  await server?.close();
  await removeTempDir(dataDir);
});

test('prints the snapshot and every change exactly once across a server restart', async () => {
  const first = await start(0);
  const port = first.port;
  const admin = await login(first.url, 'admin', ADMIN_PASSWORD);
  await sql(first.url, admin, 'CREATE NAMESPACE demo');
  await sql(first.url, admin, 'CREATE USER TABLE demo.todos (id TEXT PRIMARY KEY, title TEXT NOT NULL, done BOOLEAN NOT NULL, created_at BIGINT NOT NULL)');
  await sql(first.url, admin, "CREATE USER tailer WITH PASSWORD 'tail-pw' ROLE user");
  let token = await login(first.url, 'tailer', 'tail-pw');
  const write = (statement: string, params: unknown[]) => sql(first.url, token, statement, params);
  await write('INSERT INTO demo.todos (id, title, done, created_at) VALUES ($1, $2, false, $3)', ['a', 'first', 1]);
  await write('INSERT INTO demo.todos (id, title, done, created_at) VALUES ($1, $2, false, $3)', ['b', 'second', 2]);

  const spawned = spawn(process.execPath, [TAIL, '--url', first.url, '--user', 'tailer', '--password', 'tail-pw', '--sql', 'SELECT * FROM demo.todos'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = spawned;
  spawned.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  spawned.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => spawned.once('exit', (code) => resolve(code)));
  await until(() => stderr.includes('# subscribed'), 'the subscription');

  await write('INSERT INTO demo.todos (id, title, done, created_at) VALUES ($1, $2, false, $3)', ['c', 'third', 3]);
  await write('UPDATE demo.todos SET done = true WHERE id = $1', ['a']);
  await until(() => printed().length === 4, 'the live changes');

  await first.close();
  await until(() => stderr.includes('# connection: reconnecting'), 'the tail noticing the restart');
  const second = await start(port);
  token = await login(second.url, 'tailer', 'tail-pw');
  const writeAgain = (statement: string, params: unknown[]) => sql(second.url, token, statement, params);
  // Committed right after the restart, usually before the tail is back from its backoff wait:
  // then it reaches the tail as a replay from the change log on resume.
  await writeAgain('DELETE FROM demo.todos WHERE id = $1', ['b']);
  await until(() => readyCount() === 2, 'the reconnect');
  await writeAgain('UPDATE demo.todos SET title = $1 WHERE id = $2', ['third, renamed', 'c']);
  await writeAgain('INSERT INTO demo.todos (id, title, done, created_at) VALUES ($1, $2, false, $3)', ['d', 'fourth', 4]);
  await until(() => printed().length >= 7, 'the changes after the restart');
  // Anything duplicated would arrive right behind the last change: give it a moment to show.
  await new Promise((r) => setTimeout(r, 200));

  const lines = printed();
  expect(lines.map((l) => l.line)).toEqual([
    `snapshot ${row('a', 'first', false, 1)}`,
    `snapshot ${row('b', 'second', false, 2)}`,
    `insert ${row('c', 'third', false, 3)}`,
    `update ${row('a', 'first', true, 1)}`,
    `delete ${row('b', 'second', false, 2)}`,
    `update ${row('c', 'third, renamed', false, 3)}`,
    `insert ${row('d', 'fourth', false, 4)}`,
  ]);
  const changeSeqs = lines.filter((l) => /^(insert|update) /.test(l.line)).map((l) => BigInt(l.seq ?? '0'));
  expect(changeSeqs.every((seq, i) => i === 0 || seq > (changeSeqs[i - 1] ?? 0n))).toBe(true);

  spawned.kill('SIGINT');
  expect(await exited).toBe(0);
});
