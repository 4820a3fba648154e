/**
 * The reference server's engine API: storage, SQL, users and the change feed.
 *
 * The runtime (HTTP, WebSocket, live-query routing, system tables) codes against these types
 * only. Changes to this file are additive; a breaking change is noted here at the top.
 *
 * Entry point: `import { openEngine } from './engine/index.js'` (an {@link OpenEngine}).
 *
 * @packageDocumentation
 */
import type { ChangeType, KalamDataType, ParamValue, Role, Row, SchemaField, SeqId } from '@kalam/link/protocol';

/** Who runs a statement. */
export interface Principal {
  /** User name (`sub` claim). */
  readonly user: string;
  readonly role: Role;
}

/** A user as stored (never carries the password hash). */
export interface UserInfo {
  readonly name: string;
  readonly role: Role;
  readonly enabled: boolean;
  /**
   * When this user record was created (ms since epoch; 0 for users stored before it was recorded).
   * A user name can be dropped and re-created: refuse tokens issued before it (`iat * 1000 < createdAt`
   * rounded down to the second), or the old user's tokens would open the new user's data.
   */
  readonly createdAt: number;
}

/**
 * A user change made by SQL or the API. `dropped` and `disabled` mean: revoke that user's sessions now.
 *
 * `dropped` also purges the user's rows and change-log entries from every user table (atomically with
 * the user record), and every resume point of those partitions from before the drop stops being
 * retained: a user re-created under the same name starts empty. `disabled` keeps the rows; the engine
 * refuses the user's writes from then on, and the runtime refuses logins and tokens
 * ({@link UserInfo.enabled}).
 */
export interface UserChange {
  readonly user: string;
  readonly kind: 'created' | 'dropped' | 'disabled' | 'enabled';
}

/** Change-log retention bounds; a change is trimmed when either is exceeded. */
export interface RetentionOptions {
  /** Max retained change-log entries (whole server). @default 1_000_000 */
  readonly maxEntries?: number;
  /** Max age of a retained entry in ms. @default 86_400_000 (24 h) */
  readonly maxAgeMs?: number;
}

/** Options of {@link OpenEngine}. */
export interface EngineOptions {
  /** RocksDB directory (created when missing). */
  readonly dataDir: string;
  readonly retention?: RetentionOptions;
  /** SeqId worker id (0–1023). @default 0 */
  readonly workerId?: number;
  /** Bounds of the in-memory copy of the newest change-log entries (catch-up reads). */
  readonly changeTail?: ChangeTailOptions;
}

/** Bounds of the in-memory change-log tail; the oldest entries leave first when either is exceeded. */
export interface ChangeTailOptions {
  /** Max entries held (whole server); 0 disables the tail. @default 32_768 */
  readonly maxEntries?: number;
  /** Max heap held, estimated per entry from its JSON text (~220 B overhead each). @default 8 MiB */
  readonly maxBytes?: number;
}

/** Result of one SQL statement. */
export interface StatementResult {
  /** Result columns (empty for DDL/DML). */
  readonly columns: readonly SchemaField[];
  /**
   * Result rows keyed by column name. Cells: `bigint` for BIGINT and `_seq`, `number` for
   * INT/SMALLINT/DOUBLE/TIMESTAMP (µs since epoch), `string`, `boolean`, `null`, JSON values.
   */
  readonly rows: readonly Row[];
  /** Rows returned (SELECT) or affected (DML); 0 for DDL. */
  readonly rowCount: number;
  /** SeqId of the last change this statement committed (DML that changed rows only). */
  readonly lastSeq?: SeqId;
}

/** Table kinds. `system` tables are provided by the runtime through {@link Engine.registerSystemTable}. */
export type TableKind = 'user' | 'shared' | 'system';

/** Result of {@link Engine.readChangesFor}. */
export interface ChangePage {
  /** The examined changes the plan sees, ascending. */
  readonly changes: readonly CommittedChange[];
  /** Every change up to this seq was examined: the last one when `limit` were, else uptoSeq. Continue after it. */
  readonly scannedTo: SeqId;
}

/** One committed row change, as reported by {@link Engine.onCommit} and {@link Engine.readChanges}. */
export interface CommittedChange {
  /** SeqId of this change (= `_seq` of `newRow`). */
  readonly seq: SeqId;
  /** `'ns.table'`. */
  readonly tableId: string;
  readonly kind: 'user' | 'shared';
  /** Owner user name for user tables; `''` for shared tables. */
  readonly partition: string;
  readonly changeType: ChangeType;
  /** Full stored row before the change (incl. its old `_seq`); null for inserts. */
  readonly oldRow: Row | null;
  /** Full stored row after the change (incl. `_seq` = `seq`); null for deletes. */
  readonly newRow: Row | null;
}

/** A table dropped by DDL (so the runtime can end its subscriptions with `table_dropped`). */
export interface TableDropped {
  readonly tableId: string;
}

/** Column of a stored table. */
export interface ColumnDef {
  readonly name: string;
  readonly dataType: KalamDataType;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
}

/** Schema of a stored table. */
export interface TableInfo {
  /** `'ns.table'`. */
  readonly tableId: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: 'user' | 'shared';
  readonly columns: readonly ColumnDef[];
  /** Primary key column names, in key order. */
  readonly primaryKey: readonly string[];
}

/**
 * A compiled live query (`SELECT <cols|*> FROM ns.t [WHERE ...]`).
 * Immutable; may be shared by every subscription with the same SQL, params and partition.
 */
export interface LiveQueryPlan {
  readonly tableId: string;
  readonly namespace: string;
  readonly tableName: string;
  readonly kind: 'user' | 'shared';
  /** Partition this plan reads: the principal's user name for user tables, `''` for shared ones. */
  readonly partition: string;
  /** Projected columns plus added pk columns (not `_seq`), with `pk`/`nn` flags. */
  readonly schema: readonly SchemaField[];
  /**
   * Stable key of the projection (same key ⇒ `project` gives identical rows), so the runtime can
   * encode a change once per distinct projection.
   */
  readonly projectionKey: string;
  /** WHERE evaluated on a full stored row (true when there is no WHERE). */
  matches(row: Row): boolean;
  /** Full stored row → projected row (schema columns + `_seq`). */
  project(row: Row): Row;
}

/** Options of {@link Snapshot.scan}. */
export interface SnapshotScanOptions {
  /** Only rows with `_seq` > afterSeq (the `next_batch` cursor). */
  readonly afterSeq?: SeqId;
  /** Max rows returned. */
  readonly limit: number;
  /**
   * Consider only the newest N matching rows (by `_seq`) of the whole snapshot; batches then page
   * through those N in ascending `_seq` order.
   */
  readonly lastRows?: number;
}

/** One page of snapshot rows. */
export interface SnapshotPage {
  /** Matching projected rows in ascending `_seq` order. */
  readonly rows: readonly Row[];
  /**
   * True when more matching rows follow (with `afterSeq` = last row's `_seq`). Found by reading up
   * to the first matching row after the page (only to the partition's end when there is none); the
   * next page of the same snapshot starts at that row instead of re-reading the gap.
   */
  readonly hasMore: boolean;
}

/** A consistent read view fixed at {@link Snapshot.seq}. Release it when done. */
export interface Snapshot {
  /** The consistent point S: every change with seq ≤ S is visible, none after. */
  readonly seq: SeqId;
  /** Page through the rows matching `plan` in `_seq` order. */
  scan(plan: LiveQueryPlan, options: SnapshotScanOptions): Promise<SnapshotPage>;
  /**
   * Count of rows matching `plan` (optionally only the newest `lastRows`). Cost: O(1) without WHERE
   * (a per-partition row count); with `lastRows`, the same bounded reverse read `scan` needs anyway
   * (shared, not repeated); with a WHERE and no `lastRows`, a full scan of the partition — O(rows),
   * so prefer {@link countIfCheap} for `total_rows`.
   */
  count(plan: LiveQueryPlan, lastRows?: number): Promise<number>;
  /**
   * {@link count} when it costs no partition scan beyond what paging needs (no WHERE, or `lastRows`
   * given), else `undefined` — then use the first page's row count when it has no more rows, or 0.
   * Always present on the engine's snapshots (optional only so test fakes need not provide it).
   */
  countIfCheap?(plan: LiveQueryPlan, lastRows?: number): Promise<number | undefined>;
  /** Free the RocksDB snapshot. Idempotent. */
  release(): void;
}

/** Schema and rows of a runtime-provided system table (e.g. `system.live_queries`). */
export interface SystemTableProvider {
  /** Column definitions (all nullable, none pk unless stated). */
  readonly columns: readonly ColumnDef[];
  /** Current rows (read at statement time). */
  scan(): Iterable<Row> | AsyncIterable<Row> | Promise<readonly Row[]>;
}

/** A `KILL` statement handed to the runtime (already authorised: dba only). */
export type KillRequest =
  | { readonly kind: 'connection'; readonly id: string }
  | { readonly kind: 'live_query'; readonly id: string };

/** Executes a KILL; throws `KalamError('NOT_FOUND')` for unknown ids. */
export type KillHandler = (request: KillRequest, principal: Principal) => void | Promise<void>;

/** One key/value pair of a {@link NamespacedKv}. Keys are relative to the namespace prefix. */
export interface KvEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** One operation of a {@link NamespacedKv.batch}. */
export type KvOp =
  | { readonly type: 'put'; readonly key: Buffer | string; readonly value: Buffer | string }
  | { readonly type: 'del'; readonly key: Buffer | string };

/** Range bounds (relative keys). Missing bounds = the whole namespace. */
export interface KvRange {
  readonly gte?: Buffer | string;
  readonly gt?: Buffer | string;
  readonly lt?: Buffer | string;
  readonly lte?: Buffer | string;
  readonly limit?: number;
  readonly reverse?: boolean;
}

/** A key/value space isolated under a prefix inside the engine's RocksDB (for runtime-owned rows). */
export interface NamespacedKv {
  get(key: Buffer | string): Promise<Buffer | undefined>;
  put(key: Buffer | string, value: Buffer | string): Promise<void>;
  del(key: Buffer | string): Promise<void>;
  /** Atomic batch. */
  batch(ops: readonly KvOp[]): Promise<void>;
  range(range?: KvRange): AsyncIterable<KvEntry>;
  /** Delete every key in [gte, lt) (whole namespace when omitted). */
  deleteRange(gte?: Buffer | string, lt?: Buffer | string): Promise<void>;
}

/** Unsubscribe function returned by listener registrations. */
export type Unlisten = () => void;

/** The engine: one per server process and data dir. */
export interface Engine {
  /** Execute `;`-separated SQL statements in order; stops at the first error (earlier ones stay committed). */
  execute(sql: string, params: readonly ParamValue[], principal: Principal): Promise<StatementResult[]>;

  // ---- users
  createUser(name: string, password: string, role: Role): Promise<void>;
  /** The principal for valid credentials of an enabled user, else null. */
  verifyPassword(name: string, password: string): Promise<Principal | null>;
  /** Synchronous lookup (users are cached in memory). */
  getUser(name: string): UserInfo | undefined;
  /** Create `admin` (dba) with this password when it does not exist yet. Returns true if created. */
  ensureAdmin(password: string): Promise<boolean>;
  /** Called after a user change commits (SQL or API). */
  onUserChange(listener: (change: UserChange) => void): Unlisten;

  // ---- schema
  getTable(tableId: string): TableInfo | undefined;
  /** Called after DROP TABLE commits. */
  onTableDropped(listener: (event: TableDropped) => void): Unlisten;

  // ---- change feed
  /**
   * Called synchronously right after each write batch commits, with its changes in SeqId order.
   * Batches are reported in commit order; listeners must not throw (errors are swallowed).
   */
  onCommit(listener: (changes: readonly CommittedChange[]) => void): Unlisten;
  /** SeqId of the last committed change (0n on an empty server). The consistent point. */
  currentSeq(): SeqId;

  // ---- live queries
  /** Parse, authorise and compile a live query. Throws KalamError (INVALID_SQL, NOT_FOUND, UNAUTHORIZED, UNSUPPORTED, INVALID_ARGUMENT). */
  planLiveQuery(sql: string, params: readonly ParamValue[], principal: Principal): LiveQueryPlan;
  /**
   * Take a consistent snapshot, synchronously. Its `seq` is {@link Engine.currentSeq}, or — when a
   * write batch is committing at that instant — that batch's last seq (the batch is then inside the
   * snapshot, and its `onCommit` call follows). Either way: rows with `_seq` ≤ seq are in the
   * snapshot, and only changes with seq > `snapshot.seq` must be delivered after it.
   * If that batch fails, its seq is still safe to hand out (it is never re-issued, even after a
   * restart); in the unlikely case that cannot be guaranteed, `scan`/`count` reject with `INTERNAL`
   * — so use `seq` only after a scan or count resolved.
   */
  openSnapshot(): Snapshot;
  /**
   * Changes of one table partition with afterSeq < seq ≤ uptoSeq, in SeqId order, at most `limit`.
   * Only meaningful when {@link Engine.isRetained} is true for afterSeq; throws `KalamError('CONFLICT')`
   * when retention trimmed part of the range meanwhile (fall back to a fresh snapshot or drop the socket).
   */
  readChanges(tableId: string, partition: string, afterSeq: SeqId, uptoSeq: SeqId, limit: number): Promise<CommittedChange[]>;
  /**
   * {@link readChanges} for one live query: examines at most `limit` changes of the plan's table
   * partition with afterSeq < seq ≤ uptoSeq and returns only those the plan sees (WHERE matches the
   * old or the new row), so a catch-up allocates and walks nothing for the rest. Same CONFLICT rule.
   * Optional: callers fall back to readChanges + their own filter.
   */
  readChangesFor?(plan: LiveQueryPlan, afterSeq: SeqId, uptoSeq: SeqId, limit: number): Promise<ChangePage>;
  /**
   * True when every change of this table partition after `fromSeq` is still in the change log.
   * False when some were trimmed, or `fromSeq` is in the future / from another lineage.
   */
  isRetained(tableId: string, partition: string, fromSeq: SeqId): boolean;
  /** Trim the change log to the retention bounds now (it also runs by itself after writes and periodically). Returns entries removed. */
  trimChangeLog(): Promise<number>;

  // ---- runtime hooks
  /** Provide a `system.<name>` table readable with SELECT (dba only). */
  registerSystemTable(name: string, provider: SystemTableProvider): void;
  /** Handle `KILL CONNECTION '<id>'` / `KILL LIVE QUERY '<id>'`. Without a handler they fail with UNSUPPORTED. */
  setKillHandler(handler: KillHandler): void;
  /** A KV space under `prefix` (e.g. `'rt:live_queries'`) in the same RocksDB. */
  kv(prefix: string): NamespacedKv;

  /** Flush and close. Pending snapshots are released. Idempotent. */
  close(): Promise<void>;
}

/** Open (or create) an engine over `options.dataDir`. */
export type OpenEngine = (options: EngineOptions) => Promise<Engine>;
