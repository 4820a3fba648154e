/**
 * DDL: namespaces, tables and users (dba only). Each change is one atomic batch under the writer
 * lock; listeners hear about user changes and dropped tables after the commit.
 */
import { KalamError, type Role } from '@kalam/link/protocol';
import type { ColumnSpec, TableRef } from '../sql/ast.js';
import type { KvWrite } from '../store/kv.js';
import { nameKey, P, partitionPrefix, prefixRange, tablePrefix } from '../store/keys.js';
import { requireAdmin, SYSTEM_NS } from './access.js';
import { checkIdentifier } from './catalog.js';
import type { Core } from './core.js';
import { checkUser } from './users.js';
import type { Principal, StatementResult, UserChange } from './types.js';

const EMPTY: StatementResult = { columns: [], rows: [], rowCount: 0 };

export async function createNamespace(core: Core, name: string, ifNotExists: boolean, principal: Principal): Promise<StatementResult> {
  requireAdmin(principal, 'CREATE NAMESPACE');
  checkIdentifier(name, 'namespace');
  if (name === SYSTEM_NS) throw new KalamError('INVALID_ARGUMENT', 'the system namespace is reserved');
  return core.lock.run(async () => {
    if (core.catalog.hasNamespace(name)) {
      if (ifNotExists) return EMPTY;
      throw new KalamError('CONFLICT', `namespace ${name} already exists`);
    }
    await core.write(core.catalog.namespaceWrites(name, true));
    core.catalog.applyNamespace(name, true);
    return EMPTY;
  });
}

export async function dropNamespace(core: Core, name: string, ifExists: boolean, principal: Principal): Promise<StatementResult> {
  requireAdmin(principal, 'DROP NAMESPACE');
  return core.lock.run(async () => {
    if (!core.catalog.hasNamespace(name)) {
      if (ifExists) return EMPTY;
      throw new KalamError('NOT_FOUND', `namespace ${name} does not exist`);
    }
    if (core.catalog.tablesIn(name).length > 0) throw new KalamError('CONFLICT', `namespace ${name} is not empty`);
    await core.write(core.catalog.namespaceWrites(name, false));
    core.catalog.applyNamespace(name, false);
    return EMPTY;
  });
}

export async function createTable(
  core: Core,
  spec: { kind: 'user' | 'shared'; table: TableRef; ifNotExists: boolean; columns: readonly ColumnSpec[]; primaryKey: readonly string[] },
  principal: Principal,
): Promise<StatementResult> {
  requireAdmin(principal, 'CREATE TABLE');
  const { namespace, name } = spec.table;
  checkIdentifier(name, 'table');
  for (const c of spec.columns) checkIdentifier(c.name, 'column');
  return core.lock.run(async () => {
    if (!core.catalog.hasNamespace(namespace)) throw new KalamError('NOT_FOUND', `namespace ${namespace} does not exist`);
    if (core.catalog.get(`${namespace}.${name}`)) {
      if (spec.ifNotExists) return EMPTY;
      throw new KalamError('CONFLICT', `table ${namespace}.${name} already exists`);
    }
    const createdSeq = core.seq.next();
    const { table, writes } = core.catalog.prepareTable(
      { namespace, name, kind: spec.kind, columns: spec.columns.map((c) => ({ ...c })), primaryKey: [...spec.primaryKey] },
      createdSeq,
    );
    await core.write(writes, createdSeq);
    core.catalog.applyTable(table);
    return EMPTY;
  });
}

export async function dropTable(core: Core, ref: TableRef, ifExists: boolean, principal: Principal): Promise<StatementResult> {
  requireAdmin(principal, 'DROP TABLE');
  const tableId = `${ref.namespace}.${ref.name}`;
  const dropped = await core.lock.run(async () => {
    const table = core.catalog.get(tableId);
    if (!table) {
      if (ifExists) return undefined;
      throw new KalamError('NOT_FOUND', `table ${tableId} does not exist`);
    }
    const writes: KvWrite[] = [P.row, P.seqIndex, P.change, P.trimmed].map((p) => ({ type: 'delRange', ...prefixRange(tablePrefix(p, table.tid)) }));
    writes.push({ type: 'del', key: nameKey(P.table, tableId) });
    core.rowCounts.tableWrites(table.tid, writes);
    await core.write(writes);
    core.catalog.removeTable(tableId);
    core.log.forgetTable(table.tid);
    core.rowCounts.forget(table.tid);
    core.pkFilters.forget(table.tid);
    return table;
  });
  if (dropped) core.drops.emit({ tableId });
  return EMPTY;
}

function role(value: string): Role {
  checkUser('x', value);
  return value as Role;
}

export async function createUser(core: Core, name: string, password: string, roleName: string, ifNotExists: boolean, principal: Principal | null): Promise<StatementResult> {
  if (principal) requireAdmin(principal, 'CREATE USER');
  const stored = await core.users.prepareCreate(name, password, role(roleName));
  const created = await core.lock.run(async () => {
    if (core.users.has(name)) {
      if (ifNotExists) return false;
      throw new KalamError('CONFLICT', `user ${name} already exists`);
    }
    await core.write(core.users.putWrites(stored));
    core.users.applyPut(stored);
    return true;
  });
  if (created) core.userChanges.emit({ user: name, kind: 'created' });
  return EMPTY;
}

export async function dropUser(core: Core, name: string, ifExists: boolean, principal: Principal): Promise<StatementResult> {
  requireAdmin(principal, 'DROP USER');
  if (name === principal.user) throw new KalamError('INVALID_ARGUMENT', 'you cannot drop yourself');
  const dropped = await core.lock.run(async () => {
    if (!core.users.has(name)) {
      if (ifExists) return false;
      throw new KalamError('NOT_FOUND', `user ${name} does not exist`);
    }
    // The user's partitions go with the user record, in one batch: a user re-created under this
    // name must never see the old rows. The change log goes first, in bounded trim-like batches.
    const tables = core.catalog.all().filter((t) => t.kind === 'user');
    for (const t of tables) await core.log.purgePartition(t.tid, name);
    const resetSeq = core.seq.next();
    const writes = core.users.delWrites(name);
    for (const t of tables) {
      for (const p of [P.row, P.seqIndex, P.change]) writes.push({ type: 'delRange', ...prefixRange(partitionPrefix(p, t.tid, name)) });
      core.log.resetWrites(t.tid, name, resetSeq, writes);
      core.rowCounts.partitionWrites(t.tid, name, writes);
    }
    await core.write(writes, resetSeq);
    core.users.applyDel(name);
    for (const t of tables) {
      core.log.applyReset(t.tid, name, resetSeq);
      core.rowCounts.forget(t.tid, name);
      core.pkFilters.forget(t.tid, name);
    }
    return true;
  });
  if (dropped) core.userChanges.emit({ user: name, kind: 'dropped' });
  return EMPTY;
}

export async function alterUser(
  core: Core,
  name: string,
  action: { kind: 'enable' | 'disable' } | { kind: 'password'; password: string } | { kind: 'role'; role: string },
  principal: Principal,
): Promise<StatementResult> {
  requireAdmin(principal, 'ALTER USER');
  if (action.kind === 'disable' && name === principal.user) throw new KalamError('INVALID_ARGUMENT', 'you cannot disable yourself');
  const change: { enabled?: boolean; role?: Role } =
    action.kind === 'enable' || action.kind === 'disable' ? { enabled: action.kind === 'enable' } : action.kind === 'role' ? { role: role(action.role) } : {};
  if (!core.users.has(name)) throw new KalamError('NOT_FOUND', `user ${name} does not exist`);
  const passwordHash = action.kind === 'password' ? await core.users.hash(action.password) : undefined;
  const event = await core.lock.run(async (): Promise<UserChange | undefined> => {
    const before = core.users.get(name);
    if (!before) throw new KalamError('NOT_FOUND', `user ${name} does not exist`);
    const updated = core.users.withChange(name, change, passwordHash);
    await core.write(core.users.putWrites(updated));
    core.users.applyPut(updated);
    if (action.kind === 'disable' && before.enabled) return { user: name, kind: 'disabled' };
    if (action.kind === 'enable' && !before.enabled) return { user: name, kind: 'enabled' };
    return undefined;
  });
  if (event) core.userChanges.emit(event);
  return EMPTY;
}
