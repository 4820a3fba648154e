/**
 * The `kalam-server` CLI as a child process (the built `dist/cli.js`; `npm test` builds first):
 * listening line, generated admin password printed once, JWT secret kept in the data dir,
 * graceful SIGTERM/SIGINT with 1001.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloseCode } from '@kalam/link/protocol';
import { Client, login, sql } from './support/harness.js';

const CLI = path.resolve(__dirname, '../../dist/cli.js');

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

async function run(args: string[], env: Record<string, string> = {}): Promise<Running> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [CLI, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 20);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`exited before listening:\n${out}`));
    });
  });
  return { child, url, output: () => out, exited };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kalam-cli-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

it('prints the listening line and a generated admin password once; the secret and users survive a restart; SIGTERM closes sockets with 1001 and exits 0', async () => {
  const dataDir = path.join(dir, 'data');
  const first = await run(['--data-dir', dataDir]);
  const pw = /admin password \(shown once\): (\S+)/.exec(first.output())?.[1];
  expect(pw).toBeDefined();
  const token = (await login(first.url, 'admin', pw ?? '')).access_token;
  await sql(first.url, token, 'CREATE NAMESPACE cli');
  const c = await Client.connect(`${first.url.replace('http', 'ws')}/v1/ws`, token);
  first.child.kill('SIGTERM');
  expect((await c.waitClose()).code).toBe(CloseCode.GOING_AWAY);
  expect(await first.exited).toBe(0);

  const second = await run(['--data-dir', dataDir]);
  try {
    expect(second.output()).not.toMatch(/admin password/);
    await sql(second.url, token, 'CREATE NAMESPACE IF NOT EXISTS cli'); // token from the first run still valid
  } finally {
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }
}, 20_000);

it('takes the admin password and JWT secret from the environment, and never prints the password', async () => {
  const r = await run(['--data-dir', path.join(dir, 'env')], { KALAM_ADMIN_PASSWORD: 'from-env-pw', KALAM_JWT_SECRET: 'from-env-secret' });
  try {
    await login(r.url, 'admin', 'from-env-pw');
    expect(r.output()).not.toContain('from-env-pw');
  } finally {
    r.child.kill('SIGTERM');
    await r.exited;
  }
}, 20_000);

it('rejects unknown flags with exit code 2', async () => {
  const child = spawn(process.execPath, [CLI, '--no-such-flag'], { stdio: 'ignore' });
  expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(2);
});
