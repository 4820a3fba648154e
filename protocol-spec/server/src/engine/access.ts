/**
 * Authorisation and table resolution: who may touch which table, and which partition they see.
 */
import { KalamError } from '@kalam/link/protocol';
import type { TableRef } from '../sql/ast.js';
import type { Catalog, TableMeta } from './catalog.js';
import type { Principal } from './types.js';

/** dba and system roles administer the server. */
export function isAdmin(principal: Principal): boolean {
  return principal.role === 'dba' || principal.role === 'system';
}

export function requireAdmin(principal: Principal, what: string): void {
  if (!isAdmin(principal)) throw new KalamError('UNAUTHORIZED', `${what} requires the dba role`);
}

/** The system namespace (runtime- and engine-provided read-only tables). */
export const SYSTEM_NS = 'system';

/**
 * Resolve a user/shared table for `mode` and the partition the principal works on.
 * User tables: the principal's own partition, always. Shared tables: everyone reads, dba writes.
 */
export function resolveTable(catalog: Catalog, ref: TableRef, principal: Principal, mode: 'read' | 'write'): { table: TableMeta; partition: string } {
  if (principal.role === 'anonymous') throw new KalamError('UNAUTHORIZED', 'authentication required');
  const tableId = `${ref.namespace}.${ref.name}`;
  const table = catalog.get(tableId);
  if (!table) {
    if (!catalog.hasNamespace(ref.namespace)) throw new KalamError('NOT_FOUND', `namespace ${ref.namespace} does not exist`);
    throw new KalamError('NOT_FOUND', `table ${tableId} does not exist`);
  }
  if (table.kind === 'shared') {
    if (mode === 'write' && !isAdmin(principal)) throw new KalamError('UNAUTHORIZED', `writing shared table ${tableId} requires the dba role`);
    return { table, partition: '' };
  }
  return { table, partition: principal.user };
}
