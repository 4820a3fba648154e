/**
 * The real reference server on port 0 over a real RocksDB in a temp dir, plus a WebSocket
 * constructor that records the client's sockets so tests can drop them abruptly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { startServer, type KalamServer, type ServerOptions } from '@kalam/protocol-spec';
import { Auth } from '../../src/auth.js';
import { executeSql, login, type QueryResult } from '../../src/http.js';
import type { ParamValue } from '../../src/protocol/messages.js';
import type { WebSocketConstructor } from '../../src/transport/webSocketLike.js';

export const ADMIN_PASSWORD = 'link-test-admin-pw';
export const JWT_SECRET = 'link-test-secret-0123456789abcdef0123';

export interface TestServer {
  readonly server: KalamServer;
  readonly url: string;
  readonly dataDir: string;
  adminToken: string;
  /** Run SQL as admin. */
  sql(statement: string, params?: readonly ParamValue[]): Promise<QueryResult[]>;
  close(): Promise<void>;
}

export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'kalam-link-'));
  const server = await startServer({ port: 0, adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET, ...options, dataDir });
  const t: TestServer = {
    server,
    url: server.url,
    dataDir,
    adminToken: (await login(fetchFn, server.url, 'admin', ADMIN_PASSWORD)).token,
    sql: (statement, params) => executeSql(fetchFn, server.url, t.adminToken, statement, params),
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

const fetchFn = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => fetch(url, init);

export const adminAuth = () => Auth.basic('admin', ADMIN_PASSWORD);

/** `ws` sockets the link opened, newest last. `dropAll()` kills them without a close frame (client sees 1006). */
export class RecordingWs {
  readonly sockets: WebSocket[] = [];
  readonly WebSocket: WebSocketConstructor;

  /** `onSocket`: called with every socket the client opens, as it is created. */
  constructor(onSocket?: (socket: WebSocket) => void) {
    const sockets = this.sockets;
    this.WebSocket = class extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
        onSocket?.(this);
      }
    } as unknown as WebSocketConstructor;
  }

  /** Abruptly drop every open socket. */
  dropAll(): void {
    for (const socket of this.sockets) if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.terminate();
  }

  get open(): number {
    return this.sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
  }
}

/** Wait until `check` holds, polling on real time (integration tests only). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
