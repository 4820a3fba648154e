/**
 * Real-browser end-to-end tests: Debian's Chromium driven by playwright-core against the React
 * example served by the real reference server (real RocksDB in a temp dir).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startServer } from '@kalam/protocol-spec';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const APP_DIST = resolve(__dirname, '../../examples/react-live/dist');
const SHOTS = resolve(__dirname, '../../test-results/browser');
const ADMIN_PASSWORD = 'browser-admin';

type Server = Awaited<ReturnType<typeof startServer>>;

let dataDir: string;
let server: Server;
let port: number;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function http(path: string, body: unknown, token?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function login(username: string, password: string): Promise<string> {
  const { status, json } = await http('/v1/api/auth/login', { username, password });
  if (status !== 200) throw new Error(`login ${username}: ${JSON.stringify(json)}`);
  return json.access_token as string;
}

async function sql(token: string, statement: string, params?: unknown[]): Promise<any[]> {
  const { status, json } = await http('/v1/api/sql', params ? { sql: statement, params } : { sql: statement }, token);
  if (status !== 200) throw new Error(`${statement}: ${JSON.stringify(json)}`);
  return json.results[0].rows as any[];
}

async function start(): Promise<void> {
  server = await startServer({ port, host: '127.0.0.1', dataDir, adminPassword: ADMIN_PASSWORD, staticDir: APP_DIST });
  port = server.port;
}

async function openBoard(name: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${name}] page error`, e));
  await page.goto(`http://127.0.0.1:${port}/?user=alice&password=alice-password`);
  await page.waitForSelector('[data-testid="connection-state"][data-state="ready"]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid="todos"]', { timeout: 10_000 });
  return page;
}

async function titles(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="todos"] li .title', (els) => els.map((e) => e.textContent ?? ''));
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (.ci/run does this)`);
  if (!existsSync(join(APP_DIST, 'index.html'))) throw new Error(`${APP_DIST} missing: run npm run build:example (npm test does this)`);
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'kalam-browser-'));
  port = 0;
  await start();
  const admin = await login('admin', ADMIN_PASSWORD);
  await sql(admin, 'CREATE NAMESPACE IF NOT EXISTS demo');
  await sql(admin, 'CREATE USER TABLE demo.todos (id TEXT PRIMARY KEY, title TEXT NOT NULL, done BOOLEAN NOT NULL, created_at BIGINT NOT NULL)');
  await sql(admin, "CREATE USER alice WITH PASSWORD 'alice-password' ROLE user");
  const alice = await login('alice', 'alice-password');
  await sql(alice, "INSERT INTO demo.todos (id, title, done, created_at) VALUES ('seed-1', 'seeded row', false, 1)");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}, 60_000);

afterEach(async () => {
  const state = expect.getState();
  for (const [i, context] of contexts.entries()) {
    for (const [j, page] of context.pages().entries()) {
      await shot(page, `${state.currentTestName?.replace(/\W+/g, '-')}-${i}-${j}-final`).catch(() => undefined);
    }
    await context.close().catch(() => undefined);
  }
  contexts.length = 0;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('two windows of the same user: an insert in one shows in the other within 1 s; toggle, edit and delete follow', async () => {
  const [a, b] = await Promise.all([openBoard('a'), openBoard('b')]);
  expect(await titles(b)).toContain('seeded row');
  await a.fill('input[aria-label="new todo"]', 'typed in window A');
  const typedAt = Date.now();
  await a.click('form[aria-label="add todo"] button[type="submit"]');
  await b.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="todos"] li .title')].some((e) => e.textContent === 'typed in window A'),
    undefined,
    { timeout: 1_000 },
  );
  expect(Date.now() - typedAt).toBeLessThan(1_500);
  await shot(b, 'insert-shows-in-second-window');

  // Toggle, edit and delete in window B; window A follows.
  const rowA = 'li:has(.title:text-is("typed in window A"))';
  await b.click(`${rowA} input[type="checkbox"]`);
  await a.waitForSelector(`li.done:has(.title:text-is("typed in window A"))`, { timeout: 2_000 });
  await b.click(`${rowA} button:has-text("Edit")`);
  await b.fill('input[aria-label="edit title"]', 'edited in window B');
  await b.click('li button:has-text("Save")');
  await a.waitForSelector('li.done .title:text-is("edited in window B")', { timeout: 2_000 });
  await shot(a, 'edit-shows-in-first-window');
  await b.click('button[aria-label="delete edited in window B"]');
  await a.waitForFunction(() => document.querySelectorAll('[data-testid="todos"] li').length === 1, undefined, { timeout: 2_000 });
  expect(await titles(a)).toEqual(['seeded row']);
  expect(await titles(b)).toEqual(['seeded row']);
});

test('admin KILL CONNECTION: the page shows "killed" and does not reconnect', async () => {
  const page = await openBoard('kill');
  const admin = await login('admin', ADMIN_PASSWORD);
  const before = await sql(admin, "SELECT connection_id FROM system.connections WHERE user_id = 'alice'");
  expect(before.length).toBeGreaterThanOrEqual(1);
  for (const row of before) {
    // A connection of an earlier test's closed window may vanish between the SELECT and the KILL.
    await sql(admin, `KILL CONNECTION '${row.connection_id}'`).catch((e: Error) => {
      if (!e.message.includes('NOT_FOUND')) throw e;
    });
  }
  await page.waitForSelector('[data-testid="connection-state"][data-state="killed"]', { timeout: 5_000 });
  expect(await page.textContent('[data-testid="connection-state"]')).toBe('killed');
  await shot(page, 'killed');
  // The link's first reconnect would come within its 500 ms backoff base.
  await page.waitForTimeout(1_000);
  const after = await sql(admin, "SELECT connection_id FROM system.connections WHERE user_id = 'alice'");
  expect(after).toEqual([]);
  expect(await page.getAttribute('[data-testid="connection-state"]', 'data-state')).toBe('killed');
});

test('server restart: the page resumes without duplicate rows', async () => {
  const page = await openBoard('restart');
  const before = await titles(page);
  await server.close();
  await page.waitForSelector('[data-testid="connection-state"][data-state="reconnecting"]', { timeout: 10_000 });
  await shot(page, 'reconnecting');
  await start();
  const alice = await login('alice', 'alice-password');
  await sql(alice, "INSERT INTO demo.todos (id, title, done, created_at) VALUES ('after-restart', 'written after the restart', false, $1)", [Date.now()]);
  await page.waitForSelector('[data-testid="connection-state"][data-state="ready"]', { timeout: 15_000 });
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="todos"] li .title')].some((e) => e.textContent === 'written after the restart'),
    undefined,
    { timeout: 5_000 },
  );
  const after = await titles(page);
  const ids = await page.$$eval('[data-testid="todos"] li', (els) => els.map((e) => e.getAttribute('data-id')));
  expect(new Set(ids).size).toBe(ids.length);
  expect(after).toEqual([...before, 'written after the restart']);
  const serverRows = await sql(alice, 'SELECT id FROM demo.todos');
  expect(ids.sort()).toEqual(serverRows.map((r) => r.id).sort());
  await shot(page, 'resumed-after-restart');

  // The inspector saw it all through public link events.
  await page.click('[data-testid="inspector"] summary');
  const summary = await page.textContent('[data-testid="inspector"] summary');
  // Attempts made while the server was down count as reconnects too (and may end with 1006).
  expect(summary).toMatch(/ready · [1-9]\d* reconnects · last close 10\d\d/);
  const transitions = await page.$$eval('[data-testid="inspector-transitions"] tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
  expect(transitions.some((t) => t.includes('ready → reconnecting'))).toBe(true);
  expect(transitions.at(-1)).toContain('authenticating → ready');
  const subscriptionRow = await page.$$eval('[data-testid="inspector-subscriptions"] tbody tr td', (tds) => tds.map((td) => td.textContent));
  expect(subscriptionRow[1]).toBe('ready');
  expect(subscriptionRow[4]).toBe('SELECT id, title, done, created_at FROM demo.todos');
  await shot(page, 'inspector-after-restart');
});

test('sign out: the badge says "signed out" and the socket is gone', async () => {
  const page = await openBoard('sign-out');
  const admin = await login('admin', ADMIN_PASSWORD);
  await page.click('button:has-text("Sign out")');
  await page.waitForSelector('[data-testid="connection-state"][data-state="signed_out"]', { timeout: 5_000 });
  expect(await page.textContent('[data-testid="connection-state"]')).toBe('signed out');
  await shot(page, 'signed-out');
  const deadline = Date.now() + 5_000;
  while ((await sql(admin, "SELECT connection_id FROM system.connections WHERE user_id = 'alice'")).length > 0) {
    if (Date.now() > deadline) throw new Error('the signed-out page still holds a connection');
    await page.waitForTimeout(50);
  }
});

test('offline: no reconnect attempts while the browser is offline; back online it reconnects at once and resumes', async () => {
  const page = await openBoard('offline');
  const context = page.context();
  await context.setOffline(true);
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  await server.close();
  await page.waitForSelector('[data-testid="connection-state"][data-state="reconnecting"]', { timeout: 10_000 });
  await start();
  const alice = await login('alice', 'alice-password');
  await sql(alice, "INSERT INTO demo.todos (id, title, done, created_at) VALUES ('while-offline', 'written while the page was offline', false, $1)", [Date.now()]);
  // Long enough for a backoff-driven client to be deep into its schedule (0.5 s base, 20 s cap).
  await page.waitForTimeout(6_000);
  const admin = await login('admin', ADMIN_PASSWORD);
  expect(await sql(admin, "SELECT connection_id FROM system.connections WHERE user_id = 'alice'")).toEqual([]);
  expect(await page.getAttribute('[data-testid="connection-state"]', 'data-state')).toBe('reconnecting');
  const onlineAt = Date.now();
  await context.setOffline(false);
  await page.waitForSelector('[data-testid="connection-state"][data-state="ready"]', { timeout: 10_000 });
  const reconnectMs = Date.now() - onlineAt;
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="todos"] li .title')].some((e) => e.textContent === 'written while the page was offline'),
    undefined,
    { timeout: 5_000 },
  );
  await shot(page, 'back-online');
  expect(reconnectMs).toBeLessThan(2_000);
  const ids = await page.$$eval('[data-testid="todos"] li', (els) => els.map((e) => e.getAttribute('data-id')));
  expect(new Set(ids).size).toBe(ids.length);
});
