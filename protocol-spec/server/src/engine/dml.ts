/**
 * INSERT / UPDATE / DELETE: read, compute the changes, assign SeqIds and commit them with their
 * change-log entries in one batch — all under the writer lock so reads and writes are serial.
 */
import { KalamError, type CellValue, type ParamValue, type Row } from '@kalam/link/protocol';
import type { Expr, TableRef } from '../sql/ast.js';
import { compileValue, compileWhere } from '../sql/compile.js';
import { compareCells } from '../sql/values.js';
import type { KvWrite } from '../store/kv.js';
import { resolveTable } from './access.js';
import { pkOf, type TableMeta } from './catalog.js';
import type { PendingChange } from './changelog.js';
import type { Core } from './core.js';
import { rowChangeWrites, rowKey, scanRows } from './rowscan.js';
import type { Principal, StatementResult } from './types.js';

function checkNotNull(table: TableMeta, row: Row): void {
  for (const c of table.columns) {
    if (c.notNull && (row[c.name] === null || row[c.name] === undefined)) throw new KalamError('INVALID_ARGUMENT', `column ${c.name} must not be NULL`);
  }
}

/**
 * Inside the lock: the table must still be the incarnation resolved before it, and the writer must
 * not have been dropped or disabled meanwhile (a dropped user's partition is purged; a late write
 * would otherwise leave rows for a user re-created under the same name).
 */
function stillThere(core: Core, table: TableMeta, principal: Principal): void {
  const refused = core.users.refusal(principal.user);
  if (refused !== undefined) throw new KalamError('AUTH_REVOKED', `user ${principal.user} was ${refused}`);
  if (core.catalog.get(table.tableId) !== table) throw new KalamError('NOT_FOUND', `table ${table.tableId} does not exist`);
}

function result(changes: readonly PendingChange[]): StatementResult {
  const last = changes[changes.length - 1];
  return last ? { columns: [], rows: [], rowCount: changes.length, lastSeq: last.seq } : { columns: [], rows: [], rowCount: 0 };
}

export async function insert(
  core: Core,
  ref: TableRef,
  columns: readonly string[] | null,
  rows: readonly (readonly Expr[])[],
  params: readonly ParamValue[],
  principal: Principal,
): Promise<StatementResult> {
  const { table, partition } = resolveTable(core.catalog, ref, principal, 'write');
  const names = columns ?? table.columns.map((c) => c.name);
  for (const n of names) {
    if (n === '_seq') throw new KalamError('INVALID_SQL', '_seq is set by the server');
    if (!table.byName.has(n)) throw new KalamError('INVALID_SQL', `unknown column ${n} in ${table.tableId}`);
  }
  if (new Set(names).size !== names.length) throw new KalamError('INVALID_SQL', 'a column is listed twice');
  const built: Row[] = rows.map((exprs) => {
    if (exprs.length !== names.length) throw new KalamError('INVALID_SQL', `expected ${names.length} values, got ${exprs.length}`);
    const row: Record<string, CellValue> = {};
    for (const c of table.columns) row[c.name] = null;
    exprs.forEach((e, i) => {
      const name = names[i]!;
      const col = table.byName.get(name)!;
      if (e.kind === 'col') throw new KalamError('INVALID_SQL', `column reference ${e.name} in VALUES`);
      row[name] = compileValue(e, table.types, params, { type: col.dataType, column: name })({});
    });
    checkNotNull(table, row);
    return row;
  });
  return core.lock.run(async () => {
    stillThere(core, table, principal);
    const keys = built.map((r) => pkOf(table, r));
    const seen = new Set<string>();
    for (const k of keys) {
      const hex = k.toString('hex');
      if (seen.has(hex)) throw new KalamError('CONFLICT', `duplicate primary key in ${table.tableId}`);
      seen.add(hex);
    }
    const unsure = await core.pkFilters.unsure(table.tid, partition, keys);
    if (unsure.length > 0) {
      const existing = await core.kv.getMany(unsure.map((i) => rowKey(table, partition, keys[i]!)));
      if (existing.some((v) => v !== undefined)) throw new KalamError('CONFLICT', `duplicate primary key in ${table.tableId}`);
    }
    core.pkFilters.add(table.tid, partition, keys);
    const changes: PendingChange[] = [];
    const writes: KvWrite[] = [];
    for (const row of built) {
      const newRow: Row = { ...row, _seq: core.seq.next() };
      changes.push({ seq: newRow['_seq'] as bigint, changeType: 'insert', oldRow: null, newRow });
      rowChangeWrites(table, partition, null, newRow, writes);
    }
    await core.commitRows(table, partition, changes, writes);
    return result(changes);
  });
}

export async function update(
  core: Core,
  ref: TableRef,
  set: readonly { readonly column: string; readonly value: Expr }[],
  where: Expr | null,
  params: readonly ParamValue[],
  principal: Principal,
): Promise<StatementResult> {
  const { table, partition } = resolveTable(core.catalog, ref, principal, 'write');
  const assignments = set.map((s) => {
    if (s.column === '_seq') throw new KalamError('INVALID_SQL', '_seq is set by the server');
    const col = table.byName.get(s.column);
    if (!col) throw new KalamError('INVALID_SQL', `unknown column ${s.column} in ${table.tableId}`);
    return { col, value: compileValue(s.value, table.types, params, { type: col.dataType, column: col.name }) };
  });
  const predicate = compileWhere(where, table.types, params);
  return core.lock.run(async () => {
    stillThere(core, table, principal);
    const matched = await scanRows(core.kv, table, partition, where, params, predicate);
    const changes: PendingChange[] = [];
    const writes: KvWrite[] = [];
    for (const oldRow of matched) {
      const next: Record<string, CellValue> = { ...oldRow };
      for (const a of assignments) next[a.col.name] = a.value(oldRow);
      for (const k of table.primaryKey) {
        const a = next[k] ?? null;
        const b = oldRow[k] ?? null;
        if (a === null || b === null || compareCells(a, b) !== 0) throw new KalamError('UNSUPPORTED', `primary key column ${k} cannot be updated`);
      }
      checkNotNull(table, next);
      // The key is unchanged today; recording it keeps the filter a superset if that ever changes.
      core.pkFilters.add(table.tid, partition, [pkOf(table, next)]);
      next['_seq'] = core.seq.next();
      changes.push({ seq: next['_seq'], changeType: 'update', oldRow, newRow: next });
      rowChangeWrites(table, partition, oldRow, next, writes);
    }
    await core.commitRows(table, partition, changes, writes);
    return result(changes);
  });
}

export async function remove(core: Core, ref: TableRef, where: Expr | null, params: readonly ParamValue[], principal: Principal): Promise<StatementResult> {
  const { table, partition } = resolveTable(core.catalog, ref, principal, 'write');
  const predicate = compileWhere(where, table.types, params);
  return core.lock.run(async () => {
    stillThere(core, table, principal);
    const matched = await scanRows(core.kv, table, partition, where, params, predicate);
    const changes: PendingChange[] = [];
    const writes: KvWrite[] = [];
    for (const oldRow of matched) {
      const seq = core.seq.next();
      changes.push({ seq, changeType: 'delete', oldRow, newRow: null });
      rowChangeWrites(table, partition, oldRow, null, writes);
    }
    await core.commitRows(table, partition, changes, writes);
    return result(changes);
  });
}

