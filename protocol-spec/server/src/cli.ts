#!/usr/bin/env node
/**
 * `kalam-server` — run the reference server.
 *
 * ```
 * kalam-server [--port 8080] [--host 127.0.0.1] [--data-dir ./.kalam-data]
 *              [--admin-password PW] [--jwt-secret S] [--token-ttl 3600] [--compat kalamdb]
 *              [--client-timeout 30] [--auth-timeout 3] [--changelog-retention 1000000,24h]
 *              [--max-frame-bytes N] [--max-subscriptions N] [--max-connections-per-user N]
 *              [--rate-limit N] [--rate-burst N] [--max-outbound-bytes N] [--allowed-origins a,b]
 * ```
 * Env: KALAM_ADMIN_PASSWORD, KALAM_JWT_SECRET, KALAM_PORT, KALAM_HOST, KALAM_DATA_DIR.
 */
import { parseArgs } from 'node:util';
import type { ServerLimits, ServerOptions } from './config.js';
import { startServer } from './index.js';

const HELP = `kalam-server — Kalam Live reference server

  --port N                    TCP port, 0 = any free port (default 8080; env KALAM_PORT)
  --host H                    interface (default 127.0.0.1; env KALAM_HOST)
  --data-dir DIR              RocksDB directory (default ./.kalam-data; env KALAM_DATA_DIR)
  --admin-password PW         password of 'admin' (dba) on first start (env KALAM_ADMIN_PASSWORD; random when absent)
  --jwt-secret S              HS256 secret (env KALAM_JWT_SECRET; generated and kept in the data dir when absent)
  --token-ttl SECONDS         lifetime of login tokens (default 3600)
  --compat kalamdb            omit every protocol extension
  --client-timeout SECONDS    close silent connections with 4005 (default 30)
  --auth-timeout SECONDS      time to authenticate (default 3)
  --changelog-retention SPEC  entries and/or age, e.g. 1000000,24h (default 1000000,24h)
  --max-frame-bytes N         largest inbound frame (default 1048576)
  --max-subscriptions N       subscriptions per connection (default 1000)
  --max-connections-per-user N (default 100)
  --rate-limit N              inbound messages per second per connection (default 1000)
  --rate-burst N              burst (default 4000)
  --max-outbound-bytes N      outbound buffer before 4006 (default 8388608)
  --allowed-origins a,b       Origin allow-list for WebSocket upgrades (default: any)
  --help`;

function fail(message: string): never {
  process.stderr.write(`kalam-server: ${message}\n`);
  process.exit(2);
}

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} expects a non-negative number, got ${JSON.stringify(value)}`);
  return n;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function retention(spec: string | undefined): { entries?: number; ageMs?: number } {
  const out: { entries?: number; ageMs?: number } = {};
  for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const d = DURATION.exec(part);
    if (d !== null) out.ageMs = Number(d[1]) * (UNIT_MS[d[2] ?? 's'] ?? 1000);
    else if (/^\d+$/.test(part)) out.entries = Number(part);
    else fail(`--changelog-retention: cannot read ${JSON.stringify(part)} (use entries and/or a duration like 24h)`);
  }
  return out;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'admin-password': { type: 'string' },
        'jwt-secret': { type: 'string' },
        'token-ttl': { type: 'string' },
        compat: { type: 'string' },
        'client-timeout': { type: 'string' },
        'auth-timeout': { type: 'string' },
        'changelog-retention': { type: 'string' },
        'max-frame-bytes': { type: 'string' },
        'max-subscriptions': { type: 'string' },
        'max-connections-per-user': { type: 'string' },
        'rate-limit': { type: 'string' },
        'rate-burst': { type: 'string' },
        'max-outbound-bytes': { type: 'string' },
        'allowed-origins': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  const v = parsed.values;
  if (v.help === true) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const env = process.env;
  if (v.compat !== undefined && v.compat !== 'kalamdb') fail(`--compat accepts only 'kalamdb'`);
  const seconds = (name: string, value: string | undefined): number | undefined => {
    const n = int(name, value);
    return n === undefined ? undefined : n * 1000;
  };
  const limits: Partial<Record<keyof ServerLimits, number | undefined>> = {
    clientTimeoutMs: seconds('client-timeout', v['client-timeout']),
    authTimeoutMs: seconds('auth-timeout', v['auth-timeout']),
    maxFrameBytes: int('max-frame-bytes', v['max-frame-bytes']),
    maxSubscriptionsPerConnection: int('max-subscriptions', v['max-subscriptions']),
    maxConnectionsPerUser: int('max-connections-per-user', v['max-connections-per-user']),
    messagesPerSecond: int('rate-limit', v['rate-limit']),
    messageBurst: int('rate-burst', v['rate-burst']),
    maxOutboundBytes: int('max-outbound-bytes', v['max-outbound-bytes']),
  };
  const keep = retention(v['changelog-retention']);
  const adminPassword = v['admin-password'] ?? env['KALAM_ADMIN_PASSWORD'];
  const jwtSecret = v['jwt-secret'] ?? env['KALAM_JWT_SECRET'];
  const ttl = int('token-ttl', v['token-ttl']);
  const options: ServerOptions = {
    port: int('port', v.port ?? env['KALAM_PORT']) ?? 8080,
    host: v.host ?? env['KALAM_HOST'] ?? '127.0.0.1',
    dataDir: v['data-dir'] ?? env['KALAM_DATA_DIR'] ?? './.kalam-data',
    ...(adminPassword === undefined || adminPassword === '' ? {} : { adminPassword }),
    ...(jwtSecret === undefined || jwtSecret === '' ? {} : { jwtSecret }),
    ...(ttl === undefined ? {} : { tokenTtlSeconds: ttl }),
    ...(v.compat === 'kalamdb' ? { compat: 'kalamdb' as const } : {}),
    ...(keep.entries === undefined ? {} : { changelogRetentionEntries: keep.entries }),
    ...(keep.ageMs === undefined ? {} : { changelogRetentionMs: keep.ageMs }),
    ...(v['allowed-origins'] === undefined ? {} : { allowedOrigins: v['allowed-origins'].split(',').map((o) => o.trim()).filter(Boolean) }),
    limits: Object.fromEntries(Object.entries(limits).filter(([, n]) => n !== undefined)) as Partial<ServerLimits>,
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const server = await startServer(options);
  if (server.generatedAdminPassword !== undefined) {
    process.stdout.write(`admin password (shown once): ${server.generatedAdminPassword}\n`);
  }
  process.stdout.write(`listening on ${server.url}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`kalam-server: shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`kalam-server: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
