/**
 * Chaos scenario harness: a reference server in a temp dir (in-process, or a child process for
 * kill -9 / clean-stop restarts), a fault proxy in front of it, kalam-links that go through the
 * proxy with short reconnect and heartbeat timings, and a writer that goes straight to the server.
 *
 * @example
 * ```ts
 * const h = await ChaosHarness.start({ seed: 1 });
 * const link = h.link();
 * const w = h.watch(link, { sql: 'SELECT * FROM chaos.items', where: () => true });
 * h.proxy.dropAll();
 * await h.writer.burst(20);
 * await h.settleAndCheck();
 * await h.close();
 * ```
 */
import { Auth, createLink, type KalamLink, type LinkOptions } from '@kalam/link';
import { FaultProxy } from './faultProxy.js';
import { login, select, sql } from './http.js';
import { tokenFor } from './jwt.js';
import { createRng, type Rng } from './rng.js';
import { ADMIN_PASSWORD, JWT_SECRET, type ChildServer, type ServerOptions, spawnServer, startTestServer, type TestServer } from './server.js';
import { makeTempDir, removeTempDir } from './tempDir.js';
import { type CheckResult, Watch, type WatchSpec } from './watch.js';
import { createWireTap, type WireStats } from './wireTap.js';
import { itemsTableDdl, Writer } from './writer.js';

/** The subscribing user (role `user`). */
export const READER = { name: 'reader', password: 'reader-password' } as const;

/** Options of {@link ChaosHarness.start}. */
export interface HarnessOptions {
  /** Seeds the writer and the proxy. @default 1 */
  readonly seed?: number;
  /** `child` runs the built CLI so the server can be killed with SIGKILL. @default 'inprocess' */
  readonly mode?: 'inprocess' | 'child';
  /** Extra CLI flags in child mode. */
  readonly cliArgs?: readonly string[];
  /** In-process server options (limits, retention, …). */
  readonly serverOptions?: Partial<ServerOptions>;
  /** `SHARED` (written by admin) or `USER` (the reader writes its own partition). @default 'SHARED' */
  readonly tableKind?: 'SHARED' | 'USER';
  /** Rows inserted before the scenario starts. @default 20 */
  readonly seedRows?: number;
}

/** Short timings so outages are detected and healed within a scenario. */
export const FAST_LINK: Pick<LinkOptions, 'reconnect' | 'pingIntervalMs' | 'pongTimeoutMs' | 'connectTimeoutMs' | 'authTimeoutMs'> = {
  reconnect: { baseDelayMs: 50, maxDelayMs: 500, stableAfterMs: 2000 },
  pingIntervalMs: 300,
  pongTimeoutMs: 500,
  connectTimeoutMs: 2000,
  authTimeoutMs: 2000,
};

/** The chaos table. */
export const TABLE = 'chaos.items';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One scenario's world. */
export class ChaosHarness {
  readonly watches: Watch[] = [];
  readonly links: KalamLink[] = [];
  readonly wire: WireStats;
  private readonly tap: ReturnType<typeof createWireTap>;
  /** Restarts performed. */
  restarts = 0;

  private constructor(
    readonly rng: Rng,
    readonly proxy: FaultProxy,
    readonly writer: Writer,
    private server: TestServer | ChildServer,
    readonly dataDir: string,
    readonly adminToken: string,
    /** The reader's token, for the strict check's SELECT (fetched straight from the server). */
    public readerToken: string,
    private readonly options: HarnessOptions,
  ) {
    this.tap = createWireTap();
    this.wire = this.tap.stats;
  }

  /** Start server, proxy, users, table and seed rows. */
  static async start(options: HarnessOptions = {}): Promise<ChaosHarness> {
    const seed = options.seed ?? 1;
    const rng = createRng(seed);
    const dataDir = await makeTempDir('chaos');
    const server = options.mode === 'child' ? await spawnServer(dataDir, options.cliArgs) : await startTestServer({ ...options.serverOptions, dataDir });
    // Long-lived tokens minted with the server secret: scenarios may shorten the login TTL.
    const adminToken = tokenFor('admin', 'dba', JWT_SECRET, 3_600_000);
    await login(server.url, 'admin', ADMIN_PASSWORD);
    await sql(server.url, adminToken, 'CREATE NAMESPACE chaos');
    const kind = options.tableKind ?? 'SHARED';
    await sql(server.url, adminToken, itemsTableDdl(TABLE, kind));
    await sql(server.url, adminToken, `CREATE USER ${READER.name} WITH PASSWORD '${READER.password}' ROLE user`);
    const readerToken = tokenFor(READER.name, 'user', JWT_SECRET, 3_600_000);
    const writer = new Writer(server.url, kind === 'SHARED' ? adminToken : readerToken, TABLE, createRng(seed + 1));
    await writer.seed(options.seedRows ?? 20);
    const proxy = await FaultProxy.start({ targetPort: server.port, seed: seed + 2 });
    return new ChaosHarness(rng, proxy, writer, server, dataDir, adminToken, readerToken, options);
  }

  /** The server's direct URL (the writer's). */
  get serverUrl(): string {
    return this.server.url;
  }

  /** SELECT as admin, straight to the server (e.g. system tables). */
  adminSelect(statement: string): Promise<ReadonlyArray<Record<string, unknown>>> {
    return select(this.server.url, this.adminToken, statement);
  }

  /** A link through the proxy, as the reader, with fast timings and the wire tap. */
  link(overrides: Partial<LinkOptions> = {}): KalamLink {
    const link = createLink({
      url: this.proxy.url,
      auth: Auth.basic(READER.name, READER.password),
      WebSocket: this.tap.WebSocket,
      ...FAST_LINK,
      ...overrides,
    });
    this.links.push(link);
    return link;
  }

  /** Subscribe and watch. */
  watch(link: KalamLink, spec: WatchSpec): Watch {
    const watch = new Watch(link, spec, this.writer);
    this.watches.push(watch);
    return watch;
  }

  /** Wait until every watch is ready (e.g. after subscribing). */
  async ready(watches: readonly Watch[] = this.watches, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!watches.every((w) => w.handle.status === 'ready' && w.snapshotPoint !== undefined)) {
      if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms: ${watches.map((w) => `${w.handle.id}=${w.handle.status}`).join(', ')}`);
      await sleep(20);
    }
  }

  /** Wait until `link` reaches `state` (e.g. 'ready', 'killed'). */
  async waitForState(link: KalamLink, state: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (link.getSnapshot().state !== state) {
      if (Date.now() > deadline) throw new Error(`link state ${link.getSnapshot().state}, wanted ${state} within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  /**
   * Restart the server on the same data dir: `kill9` (child mode: SIGKILL), `sigterm` (child mode:
   * clean stop) or `close` (in-process: `close()`, 1001 to clients). The proxy then points at the new port.
   */
  async restart(how: 'kill9' | 'sigterm' | 'close', downMs = 0): Promise<void> {
    const current = this.server;
    if ('child' in current) {
      if (how === 'close') throw new Error('use kill9 or sigterm in child mode');
      const exit = await current.stop(how === 'kill9' ? 'SIGKILL' : 'SIGTERM');
      if (how === 'sigterm' && exit !== 0) throw new Error(`clean stop exited with ${String(exit)}:\n${current.output()}`);
      if (downMs > 0) await sleep(downMs);
      this.server = await spawnServer(this.dataDir, this.options.cliArgs);
    } else {
      if (how !== 'close') throw new Error('kill9/sigterm need mode: child');
      await current.close();
      if (downMs > 0) await sleep(downMs);
      this.server = await startTestServer({ ...this.options.serverOptions, dataDir: this.dataDir });
    }
    this.restarts++;
    this.proxy.setTarget(this.server.port);
    this.writer.setBaseUrl(this.server.url);
  }

  /**
   * Heal every fault, wait until every watch has caught up (or `timeoutMs`), then run the strict
   * check on each. Returns the per-watch results; `problems` lists every violation (incl. the wire's).
   */
  async settleAndCheck(timeoutMs = 15_000): Promise<{ problems: string[]; results: CheckResult[] }> {
    this.proxy.heal();
    const deadline = Date.now() + timeoutMs;
    while (!this.watches.every((w) => w.handle.status === 'closed' || w.caughtUp()) && Date.now() < deadline) await sleep(25);
    const results: CheckResult[] = [];
    const problems: string[] = [];
    for (const watch of this.watches) {
      if (watch.handle.status === 'closed') continue;
      const result = await watch.check(this.server.url, this.readerToken);
      results.push(result);
      problems.push(...result.problems);
      if (watch.handle.status !== 'ready') problems.push(`${watch.handle.id}: status ${watch.handle.status} (errors: ${watch.errors.join('; ')})`);
    }
    problems.push(...this.wire.violations.slice(0, 10));
    return { problems, results };
  }

  /** Close links, proxy and server; remove the data dir. */
  async close(): Promise<void> {
    await Promise.all(this.links.map((link) => link.close()));
    await this.proxy.close();
    if ('child' in this.server) await this.server.stop('SIGKILL');
    else await this.server.close();
    await removeTempDir(this.dataDir);
  }
}
