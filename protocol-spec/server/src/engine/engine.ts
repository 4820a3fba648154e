/**
 * {@link Engine} implementation: wires the store, catalog, users, change log, SQL executor and
 * live-query support together.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KalamError, type ParamValue, type Role, type SeqId } from '@kalam/link/protocol';
import { SeqGenerator } from '../seq.js';
import type { Statement } from '../sql/ast.js';
import { parseSql } from '../sql/parse.js';
import { openKvStore, type KvStore } from '../store/kv.js';
import { runtimeKey, successor } from '../store/keys.js';
import { requireAdmin } from './access.js';
import { Catalog } from './catalog.js';
import { ChangeLog } from './changelog.js';
import { ChangeTail } from './changeTail.js';
import { Core, loadSeqMarks } from './core.js';
import { alterUser, createNamespace, createTable, createUser, dropNamespace, dropTable, dropUser } from './ddl.js';
import { insert, remove, update } from './dml.js';
import { EngineSnapshot, LivePlan, planLiveQuery } from './live.js';
import { PlanCache } from './planCache.js';
import { RowCounts } from './rowcount.js';
import { select } from './select.js';
import { builtinSystemTables } from './system-tables.js';
import type {
  ChangePage,
  CommittedChange,
  Engine,
  EngineOptions,
  KillHandler,
  KvEntry,
  KvOp,
  KvRange,
  LiveQueryPlan,
  NamespacedKv,
  Principal,
  Snapshot,
  StatementResult,
  SystemTableProvider,
  TableDropped,
  TableInfo,
  Unlisten,
  UserChange,
  UserInfo,
} from './types.js';
import { Users } from './users.js';

const DEFAULT_MAX_ENTRIES = 1_000_000;
const DEFAULT_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const EMPTY: StatementResult = { columns: [], rows: [], rowCount: 0 };

class KalamEngine implements Engine {
  private readonly systemTables = new Map<string, SystemTableProvider>();
  private readonly plans = new PlanCache();
  private killHandler: KillHandler | undefined;
  private readonly trimTimer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  constructor(private readonly core: Core) {
    for (const [name, provider] of builtinSystemTables(core)) this.systemTables.set(name, provider);
    const every = Math.max(1000, Math.min(core.retention.maxAgeMs, 60_000));
    this.trimTimer = setInterval(() => core.maybeScheduleTrim(), every);
    this.trimTimer.unref();
  }

  private open(): void {
    if (this.core.closed) throw new KalamError('CLOSED', 'engine is closed');
  }

  async execute(sql: string, params: readonly ParamValue[], principal: Principal): Promise<StatementResult[]> {
    this.open();
    if (!Array.isArray(params)) throw new KalamError('INVALID_ARGUMENT', 'params must be an array');
    const statements = parseSql(sql);
    const results: StatementResult[] = [];
    for (const s of statements) results.push(await this.run(s, params, principal));
    return results;
  }

  private async run(s: Statement, params: readonly ParamValue[], principal: Principal): Promise<StatementResult> {
    const core = this.core;
    switch (s.type) {
      case 'select':
        return select(core, s, params, principal, this.systemTables);
      case 'insert':
        return insert(core, s.table, s.columns, s.rows, params, principal);
      case 'update':
        return update(core, s.table, s.set, s.where, params, principal);
      case 'delete':
        return remove(core, s.table, s.where, params, principal);
      case 'create_namespace':
        return createNamespace(core, s.name, s.ifNotExists, principal);
      case 'drop_namespace':
        return dropNamespace(core, s.name, s.ifExists, principal);
      case 'create_table':
        return createTable(core, s, principal);
      case 'drop_table':
        return dropTable(core, s.table, s.ifExists, principal);
      case 'create_user':
        return createUser(core, s.name, s.password, s.role, s.ifNotExists, principal);
      case 'drop_user':
        return dropUser(core, s.name, s.ifExists, principal);
      case 'alter_user':
        return alterUser(core, s.name, s.action, principal);
      case 'kill': {
        requireAdmin(principal, 'KILL');
        if (!this.killHandler) throw new KalamError('UNSUPPORTED', 'KILL is not available');
        await this.killHandler({ kind: s.target, id: s.id }, principal);
        return EMPTY;
      }
    }
  }

  async createUser(name: string, password: string, role: Role): Promise<void> {
    this.open();
    await createUser(this.core, name, password, role, false, null);
  }

  async verifyPassword(name: string, password: string): Promise<Principal | null> {
    this.open();
    const u = await this.core.users.verify(name, password);
    return u ? { user: u.name, role: u.role } : null;
  }

  getUser(name: string): UserInfo | undefined {
    return this.core.users.get(name);
  }

  async ensureAdmin(password: string): Promise<boolean> {
    this.open();
    if (this.core.users.has('admin')) return false;
    await createUser(this.core, 'admin', password, 'dba', true, null);
    return true;
  }

  onUserChange(listener: (change: UserChange) => void): Unlisten {
    return this.core.userChanges.add(listener);
  }

  getTable(tableId: string): TableInfo | undefined {
    return this.core.catalog.get(tableId);
  }

  onTableDropped(listener: (event: TableDropped) => void): Unlisten {
    return this.core.drops.add(listener);
  }

  onCommit(listener: (changes: readonly CommittedChange[]) => void): Unlisten {
    return this.core.commits.add(listener);
  }

  currentSeq(): SeqId {
    return this.core.currentSeq;
  }

  planLiveQuery(sql: string, params: readonly ParamValue[], principal: Principal): LiveQueryPlan {
    this.open();
    if (!Array.isArray(params)) throw new KalamError('INVALID_ARGUMENT', 'params must be an array');
    const catalog = this.core.catalog;
    return this.plans.plan(catalog, sql, params, principal, () => planLiveQuery(catalog, sql, params, principal));
  }

  openSnapshot(): Snapshot {
    this.open();
    const { seq, snapshot } = this.core.snapshotAt();
    return new EngineSnapshot(seq, snapshot);
  }

  async readChanges(tableId: string, partition: string, afterSeq: SeqId, uptoSeq: SeqId, limit: number): Promise<CommittedChange[]> {
    this.open();
    const table = this.core.catalog.get(tableId);
    if (!table) throw new KalamError('NOT_FOUND', `table ${tableId} does not exist`);
    const changes = await this.core.log.read(table, partition, afterSeq, uptoSeq, limit);
    if (this.core.log.isTrimmedAfter(table.tid, partition, afterSeq)) {
      throw new KalamError('CONFLICT', `change log of ${tableId} was trimmed past ${afterSeq}; take a fresh snapshot`);
    }
    return changes;
  }

  async readChangesFor(plan: LiveQueryPlan, afterSeq: SeqId, uptoSeq: SeqId, limit: number): Promise<ChangePage> {
    this.open();
    if (!(plan instanceof LivePlan)) throw new KalamError('INVALID_ARGUMENT', 'plan was not made by this engine');
    const table = this.core.catalog.get(plan.tableId);
    if (table !== plan.table) throw new KalamError('NOT_FOUND', `table ${plan.tableId} does not exist`);
    const page = await this.core.log.readKept(table, plan.partition, afterSeq, uptoSeq, limit, (c) => (c.newRow !== null && plan.matches(c.newRow)) || (c.oldRow !== null && plan.matches(c.oldRow)));
    if (this.core.log.isTrimmedAfter(table.tid, plan.partition, afterSeq)) {
      throw new KalamError('CONFLICT', `change log of ${plan.tableId} was trimmed past ${afterSeq}; take a fresh snapshot`);
    }
    return page;
  }

  isRetained(tableId: string, partition: string, fromSeq: SeqId): boolean {
    const table = this.core.catalog.get(tableId);
    if (!table) return false;
    if (fromSeq > this.core.currentSeq || fromSeq < table.createdSeq) return false;
    return !this.core.log.isTrimmedAfter(table.tid, partition, fromSeq);
  }

  trimChangeLog(): Promise<number> {
    return this.core.trimNow();
  }

  registerSystemTable(name: string, provider: SystemTableProvider): void {
    this.systemTables.set(name, provider);
  }

  setKillHandler(handler: KillHandler): void {
    this.killHandler = handler;
  }

  kv(prefix: string): NamespacedKv {
    if (prefix.length === 0 || prefix.includes('\u0000')) throw new KalamError('INVALID_ARGUMENT', 'invalid kv prefix');
    return runtimeKv(this.core.kv, prefix);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.trimTimer);
      await this.core.lock.run(async () => {
        this.core.closed = true;
      });
      await this.core.kv.close();
    })();
    return this.closing;
  }
}

function runtimeKv(kv: KvStore, namespace: string): NamespacedKv {
  const base = runtimeKey(namespace, Buffer.alloc(0));
  const key = (k: Buffer | string): Buffer => runtimeKey(namespace, k);
  return {
    get: (k) => kv.get(key(k)),
    put: (k, v) => kv.put(key(k), typeof v === 'string' ? Buffer.from(v, 'utf8') : v),
    del: (k) => kv.del(key(k)),
    batch: (ops: readonly KvOp[]) =>
      kv.batch(ops.map((op) => (op.type === 'put' ? { type: 'put', key: key(op.key), value: typeof op.value === 'string' ? Buffer.from(op.value, 'utf8') : op.value } : { type: 'del', key: key(op.key) }))),
    async *range(range: KvRange = {}): AsyncIterable<KvEntry> {
      const lower = range.gt !== undefined ? { gt: key(range.gt) } : { gte: range.gte !== undefined ? key(range.gte) : base };
      const upper = range.lt !== undefined ? { lt: key(range.lt) } : range.lte !== undefined ? { lte: key(range.lte) } : { lt: successor(base) };
      for await (const e of kv.range({ ...lower, ...upper, ...(range.reverse ? { reverse: true } : {}), ...(range.limit !== undefined ? { limit: range.limit } : {}) })) {
        yield { key: e.key.subarray(base.length), value: e.value };
      }
    },
    deleteRange: (gte, lt) => kv.deleteRange(gte !== undefined ? key(gte) : base, lt !== undefined ? key(lt) : successor(base)),
  };
}

/** Open (or create) an engine over `options.dataDir` (RocksDB lives in `<dataDir>/db`). */
export async function openEngine(options: EngineOptions): Promise<Engine> {
  await mkdir(options.dataDir, { recursive: true });
  const kv = await openKvStore(join(options.dataDir, 'db'));
  try {
    const [catalog, users, log, marks, rowCounts] = await Promise.all([Catalog.load(kv), Users.load(kv), ChangeLog.load(kv), loadSeqMarks(kv), RowCounts.load(kv)]);
    log.useTail(new ChangeTail(marks.current, options.changeTail));
    const after = marks.hw > marks.current ? marks.hw : marks.current;
    const seq = new SeqGenerator({ workerId: options.workerId ?? 0, after });
    const retention = { maxEntries: options.retention?.maxEntries ?? DEFAULT_MAX_ENTRIES, maxAgeMs: options.retention?.maxAgeMs ?? DEFAULT_MAX_AGE_MS };
    const core = new Core(kv, catalog, users, log, rowCounts, seq, marks.current, retention);
    core.maybeScheduleTrim();
    return new KalamEngine(core);
  } catch (e) {
    await kv.close();
    throw e;
  }
}

