/**
 * Live-query support: compiled plans (WHERE + projection) and consistent snapshots paged by `_seq`
 * through the per-partition `_seq` index.
 */
import { KalamError, type CellValue, type ParamValue, type Row, type SchemaField, type SeqId } from '@kalam/link/protocol';
import type { SelectItem } from '../sql/ast.js';
import { compileWhere, type RowPredicate } from '../sql/compile.js';
import { parseSql } from '../sql/parse.js';
import { pinHolds, pinOfWhere, type RoutePin } from '../sql/pins.js';
import type { KvSnapshot } from '../store/kv.js';
import { P, partitionPrefix, prefixRange, seqKey, seqOfKey } from '../store/keys.js';
import { resolveTable, SYSTEM_NS } from './access.js';
import { decodeRow, schemaFields, type Catalog, type TableMeta } from './catalog.js';
import { readRowCount } from './rowcount.js';
import type { LiveQueryPlan, Principal, Snapshot, SnapshotPage, SnapshotScanOptions } from './types.js';

/**
 * A projection of one table (output name ← column), shared by every plan that projects the same
 * columns: 10,000 subscriptions of `SELECT *` with different WHEREs hold one schema, not 10,000.
 */
export class Projection {
  readonly schema: readonly SchemaField[];
  /** Stable key (same key ⇒ `project` gives identical rows). */
  readonly key: string;
  readonly #outs: readonly string[];
  readonly #cols: readonly string[];

  constructor(table: TableMeta, cols: readonly { out: string; col: string }[], key: string) {
    this.#outs = cols.map((c) => c.out);
    this.#cols = cols.map((c) => c.col);
    this.schema = schemaFields(
      table,
      cols.map((c) => ({ name: c.col, as: c.out })),
    );
    this.key = key;
  }

  project(row: Row): Row {
    const out: Record<string, CellValue> = {};
    const outs = this.#outs;
    const cols = this.#cols;
    for (let i = 0; i < outs.length; i++) out[outs[i]!] = row[cols[i]!] ?? null;
    out['_seq'] = row['_seq'] ?? null;
    return out;
  }
}

/** Key under which a table's `SELECT *` projection is also found (no projection key starts with it). */
const STAR = '*';

/** Projections by table object (a dropped table's go with it) and key. */
const projections = new WeakMap<TableMeta, Map<string, Projection>>();

function projectionOf(table: TableMeta, cols: readonly { out: string; col: string }[]): Projection {
  const key = `${table.tid}|${JSON.stringify(cols.map((c) => [c.out, c.col]))}`;
  let byKey = projections.get(table);
  if (byKey === undefined) projections.set(table, (byKey = new Map()));
  let p = byKey.get(key);
  if (p === undefined) byKey.set(key, (p = new Projection(table, cols, key)));
  return p;
}

/**
 * The engine's {@link LiveQueryPlan}: per query only the partition, WHERE and its pin; the
 * projection is shared. Kept small (10,000 distinct `WHERE id > k` are 10,000 plans): a WHERE that
 * is exactly its route pin is evaluated from the pin, without a compiled closure.
 */
export class LivePlan implements LiveQueryPlan {
  constructor(
    readonly table: TableMeta,
    readonly partition: string,
    /** The compiled WHERE; null when {@link routePin} is the whole WHERE. */
    private readonly predicate: RowPredicate | null,
    readonly projection: Projection,
    /** True when the query has a WHERE (false: every row of the partition matches). */
    readonly filtered: boolean,
    /** What WHERE requires of one column, for fan-out routing (null: route by scanning). */
    readonly routePin: RoutePin | null,
  ) {}

  /** Worked out on first use (catch-up passes); null: none. */
  #keyRange: KeyRange | null | undefined;

  /** A bound every matching row satisfies (from the route pin), for indexes. */
  get keyRange(): KeyRange | undefined {
    if (this.#keyRange === undefined) this.#keyRange = keyRangeOfPin(this.routePin) ?? null;
    return this.#keyRange ?? undefined;
  }

  get tableId(): string {
    return this.table.tableId;
  }
  get namespace(): string {
    return this.table.namespace;
  }
  get tableName(): string {
    return this.table.name;
  }
  get kind(): 'user' | 'shared' {
    return this.table.kind;
  }
  get schema(): readonly SchemaField[] {
    return this.projection.schema;
  }
  get projectionKey(): string {
    return this.projection.key;
  }

  matches(row: Row): boolean {
    return this.predicate === null ? pinHolds(this.routePin!, row) : this.predicate(row);
  }

  project(row: Row): Row {
    return this.projection.project(row);
  }
}

/** Parse, authorise and compile a live query. */
export function planLiveQuery(catalog: Catalog, sql: string, params: readonly ParamValue[], principal: Principal): LivePlan {
  const statements = parseSql(sql);
  if (statements.length !== 1) throw new KalamError('INVALID_SQL', 'a live query is exactly one SELECT');
  const stmt = statements[0]!;
  if (stmt.type !== 'select') throw new KalamError('INVALID_SQL', 'a live query must be a SELECT');
  if (stmt.table.namespace === SYSTEM_NS) throw new KalamError('UNSUPPORTED', 'system tables cannot be subscribed to');
  if (stmt.orderBy.length > 0) throw new KalamError('UNSUPPORTED', 'ORDER BY is not supported in live queries (rows arrive in _seq order)');
  if (stmt.limit !== null || stmt.offset > 0) throw new KalamError('UNSUPPORTED', 'LIMIT/OFFSET are not supported in live queries (use options.last_rows)');
  if (stmt.distinct) throw new KalamError('UNSUPPORTED', 'DISTINCT is not supported in live queries');
  if (stmt.items.some((i) => i.kind === 'agg')) throw new KalamError('UNSUPPORTED', 'aggregates are not supported in live queries');
  const { table, partition } = resolveTable(catalog, stmt.table, principal, 'read');
  const projection = projectionFor(table, stmt.items);
  const { pin, exact } = pinOfWhere(stmt.where, table.types, params);
  // An exact pin is only made of constraints compileWhere accepts (pins.ts), so skipping it loses no error.
  const predicate = exact ? null : compileWhere(stmt.where, table.types, params);
  return new LivePlan(table, partition, predicate, projection, stmt.where !== null, pin);
}

/** The projection of a SELECT list; `SELECT *` (the usual live query) is looked up per table without rebuilding its column list. */
function projectionFor(table: TableMeta, items: readonly SelectItem[]): Projection {
  const star = items.length === 1 && items[0]!.kind === 'star';
  if (star) {
    const known = projections.get(table)?.get(STAR);
    if (known !== undefined) return known;
  }
  const cols: { out: string; col: string }[] = [];
  const has = (key: 'out' | 'col', name: string): boolean => {
    for (const c of cols) if (c[key] === name) return true;
    return false;
  };
  const add = (out: string, col: string): void => {
    if (col === '_seq') return;
    if (!table.byName.has(col)) throw new KalamError('INVALID_SQL', `unknown column ${col} in ${table.tableId}`);
    if (!has('out', out)) cols.push({ out, col });
  };
  for (const item of items) {
    if (item.kind === 'star') for (const c of table.columns) add(c.name, c.name);
    else if (item.kind === 'col') add(item.alias ?? item.name, item.name);
  }
  for (const k of table.primaryKey) if (!has('col', k)) add(has('out', k) ? `${k}_pk` : k, k);
  const p = projectionOf(table, cols);
  if (star) projections.get(table)!.set(STAR, p);
  return p;
}

/** Comparable bound value: numbers and bigints compare with each other, strings with strings. */
export type RangeValue = number | bigint | string;

/**
 * `lo ≤ row[column] ≤ hi` (an absent bound is unbounded) holds for every row WHERE accepts; a
 * superset of the matches (strictness is dropped), compared as `compareCells` compares.
 */
export interface KeyRange {
  readonly column: string;
  readonly lo: RangeValue | undefined;
  readonly hi: RangeValue | undefined;
}

/** The range of a plan made by this engine, if its WHERE implies one. */
export function keyRangeOfPlan(plan: LiveQueryPlan): KeyRange | undefined {
  return plan instanceof LivePlan ? plan.keyRange : undefined;
}

/**
 * The pin as a closed range of comparable values (strictness dropped; an IN list spans its least
 * to its greatest value), or undefined when its values cannot be ordered as one range.
 */
function keyRangeOfPin(pin: RoutePin | null): KeyRange | undefined {
  if (pin === null) return undefined;
  const ends = pin.kind === 'eq' ? pin.values : [pin.lo?.value, pin.hi?.value].filter((v) => v !== undefined);
  const values = ends.map(rangeValue);
  if (values.length === 0 || values.some((v, i) => v === undefined || !comparable(v, values[0]!))) return undefined;
  const ordered = values as RangeValue[];
  if (pin.kind === 'range') return { column: pin.column, lo: pin.lo === null ? undefined : ordered[0], hi: pin.hi === null ? undefined : ordered[ordered.length - 1] };
  return { column: pin.column, lo: ordered.reduce((a, v) => (v < a ? v : a)), hi: ordered.reduce((a, v) => (v > a ? v : a)) };
}

function rangeValue(v: CellValue): RangeValue | undefined {
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
  return typeof v === 'bigint' || typeof v === 'string' ? v : undefined;
}

function comparable(a: RangeValue, b: RangeValue): boolean {
  return typeof a === 'string' ? typeof b === 'string' : typeof b !== 'string';
}

/** The engine's {@link Snapshot}. */
export class EngineSnapshot implements Snapshot {
  private released = false;
  private readonly cutoffs = new Map<LivePlan, Map<number, { cut: SeqId; matched: number }>>();
  /** Per plan: the first matching entry found after the last page (so the next page starts there). */
  private readonly lookahead = new Map<LivePlan, { after: SeqId; next: SeqId }>();

  constructor(
    readonly seq: SeqId,
    private readonly kv: Promise<KvSnapshot>,
  ) {
    kv.catch(() => undefined); // a failure surfaces through scan/count, never as an unhandled rejection
  }

  private async reader(plan: LiveQueryPlan): Promise<{ kv: KvSnapshot; plan: LivePlan }> {
    if (this.released) throw new KalamError('INVALID_ARGUMENT', 'snapshot already released');
    if (!(plan instanceof LivePlan)) throw new KalamError('INVALID_ARGUMENT', 'plan was not made by this engine');
    return { kv: await this.kv, plan };
  }

  /** Lowest `_seq` among the newest `lastRows` matching rows (0 when fewer exist), and how many matched. */
  private async cutoff(kv: KvSnapshot, plan: LivePlan, lastRows: number): Promise<{ cut: SeqId; matched: number }> {
    let perPlan = this.cutoffs.get(plan);
    const known = perPlan?.get(lastRows);
    if (known !== undefined) return known;
    let matched = 0;
    let cut: SeqId = 0n;
    if (lastRows > 0) {
      for await (const { key, value } of kv.range({ ...prefixRange(partitionPrefix(P.seqIndex, plan.table.tid, plan.partition)), reverse: true })) {
        if (plan.filtered && !plan.matches(decodeRow(plan.table, value))) continue;
        if (++matched === lastRows) {
          cut = seqOfKey(key);
          break;
        }
      }
    } else cut = this.seq + 1n;
    const result = { cut, matched };
    if (!perPlan) this.cutoffs.set(plan, (perPlan = new Map()));
    perPlan.set(lastRows, result);
    return result;
  }

  async scan(plan: LiveQueryPlan, options: SnapshotScanOptions): Promise<SnapshotPage> {
    const r = await this.reader(plan);
    const p = r.plan;
    if (!Number.isInteger(options.limit) || options.limit <= 0) throw new KalamError('INVALID_ARGUMENT', 'limit must be a positive integer');
    const cut = options.lastRows !== undefined ? (await this.cutoff(r.kv, p, options.lastRows)).cut : 0n;
    const prefix = partitionPrefix(P.seqIndex, p.table.tid, p.partition);
    const { lt } = prefixRange(prefix);
    const ahead = this.lookahead.get(p);
    const after = options.afterSeq;
    const lower =
      after !== undefined && after >= cut
        ? ahead !== undefined && ahead.after === after
          ? { gte: seqKey(P.seqIndex, p.table.tid, p.partition, ahead.next) }
          : { gt: seqKey(P.seqIndex, p.table.tid, p.partition, after) }
        : { gte: cut > 0n ? seqKey(P.seqIndex, p.table.tid, p.partition, cut) : prefix };
    const rows: Row[] = [];
    let hasMore = false;
    for await (const { key, value } of r.kv.range({ ...lower, lt })) {
      if (rows.length === options.limit) {
        // One more match is all hasMore needs; remember where it is so the next page starts there.
        if (p.filtered && !p.matches(decodeRow(p.table, value))) continue;
        hasMore = true;
        this.lookahead.set(p, { after: rows[rows.length - 1]!['_seq'] as SeqId, next: seqOfKey(key) });
        break;
      }
      const row = decodeRow(p.table, value);
      if (!p.matches(row)) continue;
      rows.push(p.project(row));
    }
    return { rows, hasMore };
  }

  async count(plan: LiveQueryPlan, lastRows?: number): Promise<number> {
    const r = await this.reader(plan);
    if (lastRows !== undefined) return (await this.cutoff(r.kv, r.plan, lastRows)).matched;
    if (!r.plan.filtered) return readRowCount(r.kv, r.plan.table.tid, r.plan.partition);
    let n = 0;
    for await (const { value } of r.kv.range(prefixRange(partitionPrefix(P.seqIndex, r.plan.table.tid, r.plan.partition)))) {
      if (r.plan.matches(decodeRow(r.plan.table, value))) n++;
    }
    return n;
  }

  async countIfCheap(plan: LiveQueryPlan, lastRows?: number): Promise<number | undefined> {
    const r = await this.reader(plan);
    return lastRows !== undefined || !r.plan.filtered ? this.count(plan, lastRows) : undefined;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.kv.then(
      (s) => s.release(),
      () => undefined,
    );
  }
}
