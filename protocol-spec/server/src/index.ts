/**
 * `@kalam/protocol-spec` — the Kalam Live reference server (`kalam-server`).
 *
 * @example
 * ```ts
 * import { startServer } from '@kalam/protocol-spec';
 * const server = await startServer({ port: 0, dataDir: './.kalam-data', adminPassword: 'secret' });
 * console.log(server.url); // http://127.0.0.1:PORT
 * await server.close();
 * ```
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode } from '@kalam/link/protocol';
import { TokenService } from './auth/jwt.js';
import { resolveConfig, type ServerOptions } from './config.js';
import { openEngine } from './engine/index.js';
import type { Engine } from './engine/types.js';
import { handleHttp } from './http/api.js';
import { createStaticHandler } from './http/static.js';
import { Runtime } from './runtime.js';
import { attachWebSocket } from './transport/ws.js';

export type { ServerOptions, ServerLimits } from './config.js';
export { DEFAULT_LIMITS } from './config.js';
export { SERVER_VERSION } from './http/api.js';

/** A running server. */
export interface KalamServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. The WebSocket is at `${url.replace('http', 'ws')}/v1/ws`. */
  readonly url: string;
  /** Bound TCP port. */
  readonly port: number;
  /** The generated admin password, only when this start created `admin` without one being given. */
  readonly generatedAdminPassword: string | undefined;
  /** Live counts, for tests and benchmarks. */
  stats(): ServerStats;
  /** Close sockets with 1001 (going away), flush and close the database. Idempotent. */
  close(): Promise<void>;
}

/** Live counts. */
export interface ServerStats {
  /** Open sockets (authenticated or not). */
  readonly connections: number;
  /** Registered subscriptions. */
  readonly subscriptions: number;
}

/** How long sockets get to answer the going-away close on shutdown. */
const SHUTDOWN_GRACE_MS = 1000;

/** Start a server. Resolves once it is listening. */
export async function startServer(options: ServerOptions): Promise<KalamServer> {
  const config = resolveConfig(options);
  const engine = await openEngine({
    dataDir: config.dataDir,
    retention: {
      ...(options.changelogRetentionEntries === undefined ? {} : { maxEntries: options.changelogRetentionEntries }),
      ...(options.changelogRetentionMs === undefined ? {} : { maxAgeMs: options.changelogRetentionMs }),
    },
  });
  let http: Server | undefined;
  try {
    const secret = options.jwtSecret ?? (await storedSecret(engine));
    const tokens = new TokenService(secret, config.tokenTtlSeconds);
    let generatedAdminPassword: string | undefined;
    if (options.adminPassword !== undefined) {
      await engine.ensureAdmin(options.adminPassword);
    } else if (engine.getUser('admin') === undefined) {
      const password = randomBytes(12).toString('base64url');
      if (await engine.ensureAdmin(password)) generatedAdminPassword = password;
    }
    const rt = new Runtime(engine, config, tokens);
    await rt.start();
    const serveStatic = options.staticDir === undefined ? undefined : createStaticHandler(options.staticDir);
    const server = createServer((req, res) => {
      if (serveStatic?.(req, res) !== true) void handleHttp(rt, req, res);
    });
    http = server;
    const ws = attachWebSocket(server, rt);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    let closing: Promise<void> | undefined;
    return {
      url: `http://${host}:${port}`,
      port,
      generatedAdminPassword,
      stats: () => {
        let subscriptions = 0;
        for (const s of rt.sessions) subscriptions += s.subscriptions.size;
        return { connections: rt.sessions.size, subscriptions };
      },
      close: () =>
        (closing ??= (async () => {
          await ws.close(CloseCode.GOING_AWAY, SHUTDOWN_GRACE_MS);
          await rt.liveQueries.flush();
          rt.stop();
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
          await engine.close();
        })()),
    };
  } catch (e) {
    http?.close();
    await engine.close();
    throw e;
  }
}

/** The HS256 secret kept in the data dir, created on first start. */
async function storedSecret(engine: Engine): Promise<string> {
  const kv = engine.kv('rt:config');
  const existing = await kv.get('jwt_secret');
  if (existing !== undefined) return existing.toString('utf8');
  const secret = randomBytes(32).toString('base64url');
  await kv.put('jwt_secret', secret);
  return secret;
}
