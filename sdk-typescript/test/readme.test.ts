/**
 * The README's example is code, not prose: this test extracts its ```ts block, loads it as a
 * module and runs it against the reference server.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFixture, USER, USER_PASSWORD, type Fixture } from './support/fixture.js';
import { readmeBlock } from './support/readme.js';

let fixture: Fixture;
let dir: string;

beforeAll(async () => {
  fixture = await startFixture();
  dir = await mkdtemp(path.join(tmpdir(), 'kalam-readme-'));
});
afterAll(async () => {
  await fixture.close();
  await rm(dir, { recursive: true, force: true });
});

test('the README example runs and does what it says', async () => {
  const code = await readmeBlock(path.join(__dirname, '..', 'README.md'), '## Example');
  const file = path.join(dir, 'example.ts');
  await writeFile(file, code);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { example } = require(file) as { example: (url: string, user: string, password: string) => Promise<string[]> };
  const log = await example(fixture.url, USER, USER_PASSWORD);
  expect(log).toEqual(
    expect.arrayContaining([
      'snapshot milk',
      'insert eggs',
      'delete milk',
      'live milk✓,eggs',
      'typed error NOT_FOUND',
      'aborted ABORTED',
      'subscriptions 2',
      'state ready',
    ]),
  );
  expect(log.at(-1)).toBe('state closed');
});
