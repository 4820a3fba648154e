/**
 * The reference server in a temp dir, with an admin, a plain user `alice`, a namespace and a
 * user table per serialization, reached only over HTTP SQL as the spec describes.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type KalamServer, type ServerOptions } from '@kalam/protocol-spec';
import { SpecHttp } from './specClient.js';

export const ADMIN_PASSWORD = 'admin-pw';
export const ALICE_PASSWORD = 'alice-pw';
export const JWT_SECRET = 'conformance-secret-0123456789abcdef';

/** A running server plus the tokens a test needs. */
export interface Fixture {
  server: KalamServer;
  http: SpecHttp;
  wsUrl: string;
  adminToken: string;
  aliceToken: string;
  dataDir: string;
  options: ServerOptions;
  /** Close and start again on the same data dir and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFixture(extra: Partial<ServerOptions> = {}, tables: readonly string[] = []): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kalam-conformance-'));
  const options: ServerOptions = { port: 0, dataDir, adminPassword: ADMIN_PASSWORD, jwtSecret: JWT_SECRET, ...extra };
  const server = await startServer(options);
  const http = new SpecHttp(server.url);
  const adminToken = await http.login('admin', ADMIN_PASSWORD);
  await http.ok(adminToken, `CREATE NAMESPACE conf; CREATE USER alice WITH PASSWORD '${ALICE_PASSWORD}' ROLE user`);
  for (const t of tables) await http.ok(adminToken, `CREATE USER TABLE conf.${t} (id BIGINT PRIMARY KEY, label TEXT, qty INT)`);
  const aliceToken = await http.login('alice', ALICE_PASSWORD);
  const fixture: Fixture = {
    server, http, wsUrl: `${server.url.replace(/^http/, 'ws')}/v1/ws`, adminToken, aliceToken, dataDir, options,
    async restart() {
      await fixture.server.close();
      fixture.server = await startServer({ ...options, port: fixture.server.port });
    },
    async stop() {
      await fixture.server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** An HS256 JWT signed with {@link JWT_SECRET} (§2.4), for expired or foreign-user tokens. */
export function signJwt(claims: Record<string, unknown>): string {
  const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', JWT_SECRET).update(head).digest('base64url')}`;
}
