/**
 * The root README's TypeScript quick start is code, not prose: extracted, pointed at a server
 * seeded the way `npm start` seeds it, and run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type KalamServer } from '@kalam/protocol-spec';
import { login, sql } from '../support/http.js';
import { makeTempDir, removeTempDir } from '../support/tempDir.js';

let dir: string;
let server: KalamServer;

beforeAll(async () => {
  dir = await makeTempDir('readme');
  server = await startServer({ port: 0, dataDir: path.join(dir, 'data'), adminPassword: 'readme-admin' });
  const admin = await login(server.url, 'admin', 'readme-admin');
  await sql(server.url, admin, 'CREATE NAMESPACE IF NOT EXISTS demo');
  await sql(server.url, admin, 'CREATE USER TABLE IF NOT EXISTS demo.todos (id TEXT PRIMARY KEY, title TEXT NOT NULL, done BOOLEAN NOT NULL, created_at BIGINT NOT NULL)');
  await sql(server.url, admin, "CREATE USER alice WITH PASSWORD 'alice-password' ROLE user");
});

afterAll(async () => {
  await server.close();
  await removeTempDir(dir);
});

test('the TypeScript quick start runs as written', async () => {
  const readme = await readFile(path.join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start (TypeScript)'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBeDefined();
  const body = (block ?? '').replace("'http://127.0.0.1:8080'", 'url');
  const imports = body.split('\n').filter((l) => l.startsWith('import '));
  const code = body.split('\n').filter((l) => !l.startsWith('import ')).join('\n');
  const file = path.join(dir, 'quickstart.ts');
  await writeFile(file, `${imports.join('\n')}\nexport async function run(url: string): Promise<void> {\n${code}\n}\n`);
  const logged: unknown[][] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args));
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { run } = require(file) as { run: (url: string) => Promise<void> };
    await run(server.url);
  } finally {
    log.mockRestore();
  }
  expect(logged.at(-1)).toEqual([1, 'open todos']);
  const alice = await login(server.url, 'alice', 'alice-password');
  const [result] = await sql(server.url, alice, 'SELECT id, title FROM demo.todos');
  expect(result?.rows).toEqual([{ id: 'readme-1', title: 'try Kalam Live' }]);
});
