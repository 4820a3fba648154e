/**
 * Server options and their defaults (PROTOCOL.md §Server limits).
 */

/** Per-connection and per-user limits. Every field is optional in {@link ServerOptions}. */
export interface ServerLimits {
  /** Largest inbound frame, text and binary alike, in bytes. @default 1048576 (1 MiB) */
  readonly maxFrameBytes: number;
  /** Subscriptions per connection. @default 1000 */
  readonly maxSubscriptionsPerConnection: number;
  /** Open connections per user. @default 100 */
  readonly maxConnectionsPerUser: number;
  /** Inbound messages per second per connection (token bucket refill rate). @default 1000 */
  readonly messagesPerSecond: number;
  /** Token bucket size (burst). @default 4000 */
  readonly messageBurst: number;
  /** Time allowed between the socket opening and a valid `authenticate`, ms. @default 3000 */
  readonly authTimeoutMs: number;
  /** Close a connection that sent nothing for this long, ms. @default 30000 */
  readonly clientTimeoutMs: number;
  /** Outbound buffer per connection (`ws.bufferedAmount`), bytes; above it the socket is closed with 4006. @default 8388608 (8 MiB) */
  readonly maxOutboundBytes: number;
  /** Largest `batch_size` a client may ask for. @default 10000 */
  readonly maxBatchSize: number;
  /** Default `batch_size`. @default 1000 */
  readonly defaultBatchSize: number;
}

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** TCP port; 0 picks a free one. @default 8080 */
  readonly port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  readonly host?: string;
  /** Directory of the RocksDB database (created when missing). */
  readonly dataDir: string;
  /** Password of the `admin` (dba) user, set when the user is first created. Random when absent. */
  readonly adminPassword?: string;
  /** HS256 secret. When absent one is generated and kept in the data dir. */
  readonly jwtSecret?: string;
  /** Lifetime of tokens issued by `/v1/api/auth/login`, seconds. @default 3600 */
  readonly tokenTtlSeconds?: number;
  /** `'kalamdb'` omits every protocol extension (PROTOCOL.md §KalamDB compat mode). */
  readonly compat?: 'kalamdb';
  /** Allowed `Origin` values for WebSocket upgrades; absent or empty = any origin. */
  readonly allowedOrigins?: readonly string[];
  /** Change-log retention: entries. @default 1000000 */
  readonly changelogRetentionEntries?: number;
  /** Change-log retention: age in ms. @default 86400000 (24 h) */
  readonly changelogRetentionMs?: number;
  /** Limit overrides. */
  readonly limits?: Partial<ServerLimits>;
  /** Where to log (one line per call). No password is ever passed here. @default no logging */
  readonly log?: (line: string) => void;
  /** Serve this directory's files on GET/HEAD of non-API paths (`index.html` for `/` and unknown page routes). @default none */
  readonly staticDir?: string;
}

/** Default limits. */
export const DEFAULT_LIMITS: ServerLimits = {
  maxFrameBytes: 1024 * 1024,
  maxSubscriptionsPerConnection: 1000,
  maxConnectionsPerUser: 100,
  messagesPerSecond: 1000,
  messageBurst: 4000,
  authTimeoutMs: 3000,
  clientTimeoutMs: 30000,
  maxOutboundBytes: 8 * 1024 * 1024,
  maxBatchSize: 10000,
  defaultBatchSize: 1000,
};

/** Options with every default applied. */
export interface ResolvedConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly tokenTtlSeconds: number;
  readonly compat: boolean;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly limits: ServerLimits;
  readonly log: (line: string) => void;
}

/** Apply defaults. */
export function resolveConfig(options: ServerOptions): ResolvedConfig {
  return {
    port: options.port ?? 8080,
    host: options.host ?? '127.0.0.1',
    dataDir: options.dataDir,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    compat: options.compat === 'kalamdb',
    allowedOrigins: new Set(options.allowedOrigins ?? []),
    limits: { ...DEFAULT_LIMITS, ...stripUndefined(options.limits ?? {}) },
    log: options.log ?? (() => undefined),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
