/**
 * SELECT over user/shared tables (the caller's partition) and over system tables (dba only):
 * WHERE, projection, COUNT/MIN/MAX/SUM, ORDER BY, LIMIT/OFFSET.
 */
import { KalamError, type CellValue, type KalamDataType, type ParamValue, type Row, type SchemaField, type SchemaFlag } from '@kalam/link/protocol';
import type { SelectStatement } from '../sql/ast.js';
import { compileWhere } from '../sql/compile.js';
import { compareCells } from '../sql/values.js';
import { isAdmin, resolveTable, SYSTEM_NS } from './access.js';
import type { Core } from './core.js';
import { scanRows } from './rowscan.js';
import type { ColumnDef, Principal, StatementResult, SystemTableProvider } from './types.js';

interface Source {
  readonly columns: readonly ColumnDef[];
  readonly types: ReadonlyMap<string, KalamDataType>;
}

function field(name: string, dataType: KalamDataType, index: number, col: ColumnDef | undefined): SchemaField {
  const flags: SchemaFlag[] = [];
  if (col?.primaryKey) flags.push('pk');
  if (col?.notNull) flags.push('nn');
  return flags.length > 0 ? { name, data_type: dataType, index, flags } : { name, data_type: dataType, index };
}

/** Output columns: (output name, source column) pairs. `*` excludes `_seq`. */
function projection(stmt: SelectStatement, src: Source): { out: string; col: string }[] {
  const cols: { out: string; col: string }[] = [];
  for (const item of stmt.items) {
    if (item.kind === 'star') for (const c of src.columns) cols.push({ out: c.name, col: c.name });
    else if (item.kind === 'col') {
      if (!src.types.has(item.name)) throw new KalamError('INVALID_SQL', `unknown column ${item.name}`);
      cols.push({ out: item.alias ?? item.name, col: item.name });
    }
  }
  return cols;
}

function sortRows(rows: Row[], stmt: SelectStatement, src: Source): void {
  if (stmt.orderBy.length === 0) return;
  for (const o of stmt.orderBy) if (!src.types.has(o.column)) throw new KalamError('INVALID_SQL', `unknown column ${o.column} in ORDER BY`);
  rows.sort((a, b) => {
    for (const o of stmt.orderBy) {
      const x = a[o.column] ?? null;
      const y = b[o.column] ?? null;
      // NULLs sort last ascending, first descending (PostgreSQL).
      const c = x === null ? (y === null ? 0 : 1) : y === null ? -1 : compareCells(x, y);
      if (c !== 0) return o.desc ? -c : c;
    }
    return 0;
  });
}

function aggregate(stmt: SelectStatement, src: Source, rows: readonly Row[]): StatementResult {
  const columns: SchemaField[] = [];
  const out: Record<string, CellValue> = {};
  stmt.items.forEach((item, index) => {
    if (item.kind !== 'agg') throw new KalamError('UNSUPPORTED', 'mixing aggregates and columns needs GROUP BY, which is not supported');
    if (item.column !== null && !src.types.has(item.column)) throw new KalamError('INVALID_SQL', `unknown column ${item.column}`);
    const name = item.alias ?? (item.column === null ? `${item.fn}(*)` : `${item.fn}(${item.column})`);
    const values = item.column === null ? [] : rows.map((r) => r[item.column!] ?? null).filter((v): v is Exclude<CellValue, null> => v !== null);
    const colType = item.column === null ? 'BigInt' : src.types.get(item.column)!;
    let value: CellValue;
    let type: KalamDataType;
    if (item.fn === 'count') {
      value = BigInt(item.column === null ? rows.length : values.length);
      type = 'BigInt';
    } else if (item.fn === 'sum') {
      const integral = colType === 'BigInt' || colType === 'Int' || colType === 'SmallInt';
      if (!integral && colType !== 'Double' && colType !== 'Float') throw new KalamError('INVALID_SQL', `SUM needs a numeric column`);
      type = integral ? 'BigInt' : 'Double';
      value = values.length === 0 ? null : integral ? values.reduce<bigint>((s, v) => s + BigInt(v as number | bigint), 0n) : values.reduce<number>((s, v) => s + Number(v), 0);
    } else {
      type = colType;
      value = values.length === 0 ? null : values.reduce((m, v) => ((item.fn === 'min' ? compareCells(v, m) < 0 : compareCells(v, m) > 0) ? v : m));
    }
    columns.push(field(name, type, index, undefined));
    out[name] = value;
  });
  return { columns, rows: [out], rowCount: 1 };
}

function finish(stmt: SelectStatement, src: Source, rows: Row[]): StatementResult {
  if (stmt.items.some((i) => i.kind === 'agg')) return aggregate(stmt, src, rows);
  const cols = projection(stmt, src);
  sortRows(rows, stmt, src);
  const sliced = stmt.offset > 0 || stmt.limit !== null ? rows.slice(stmt.offset, stmt.limit === null ? undefined : stmt.offset + stmt.limit) : rows;
  const byName = new Map(src.columns.map((c) => [c.name, c]));
  const columns = cols.map((c, i) => field(c.out, src.types.get(c.col)!, i, byName.get(c.col) ?? (c.col === '_seq' ? { name: '_seq', dataType: 'BigInt', notNull: true, primaryKey: false } : undefined)));
  let projected = sliced.map((r) => {
    const o: Record<string, CellValue> = {};
    for (const c of cols) o[c.out] = r[c.col] ?? null;
    return o;
  });
  if (stmt.distinct) {
    const seen = new Set<string>();
    projected = projected.filter((r) => {
      const k = JSON.stringify(cols.map((c) => r[c.out]), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
  return { columns, rows: projected, rowCount: projected.length };
}

async function collect(source: ReturnType<SystemTableProvider['scan']>): Promise<Row[]> {
  const resolved = await source;
  const out: Row[] = [];
  if (Symbol.asyncIterator in resolved) for await (const r of resolved as AsyncIterable<Row>) out.push(r);
  else for (const r of resolved as Iterable<Row>) out.push(r);
  return out;
}

/** Execute a SELECT. */
export async function select(
  core: Core,
  stmt: SelectStatement,
  params: readonly ParamValue[],
  principal: Principal,
  systemTables: ReadonlyMap<string, SystemTableProvider>,
): Promise<StatementResult> {
  if (stmt.table.namespace === SYSTEM_NS) {
    if (!isAdmin(principal)) throw new KalamError('UNAUTHORIZED', 'system tables require the dba role');
    const provider = systemTables.get(stmt.table.name);
    if (!provider) throw new KalamError('NOT_FOUND', `table system.${stmt.table.name} does not exist`);
    const src: Source = { columns: provider.columns, types: new Map(provider.columns.map((c) => [c.name, c.dataType])) };
    const predicate = compileWhere(stmt.where, src.types, params);
    const rows = (await collect(provider.scan())).filter(predicate);
    return finish(stmt, src, rows);
  }
  const { table, partition } = resolveTable(core.catalog, stmt.table, principal, 'read');
  const predicate = compileWhere(stmt.where, table.types, params);
  const canStopEarly = stmt.orderBy.length === 0 && stmt.limit !== null && !stmt.distinct && !stmt.items.some((i) => i.kind === 'agg');
  const rows = await scanRows(core.kv, table, partition, stmt.where, params, predicate, canStopEarly ? stmt.offset + stmt.limit! : Infinity);
  return finish(stmt, { columns: table.columns, types: table.types }, rows);
}
