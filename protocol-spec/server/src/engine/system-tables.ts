/**
 * System tables the engine provides itself: `system.users`, `system.namespaces`, `system.tables`.
 * (The runtime registers `system.live_queries` and `system.connections`.)
 */
import type { Row } from '@kalam/link/protocol';
import type { Core } from './core.js';
import type { ColumnDef, SystemTableProvider } from './types.js';

function text(name: string, primaryKey = false): ColumnDef {
  return { name, dataType: 'Text', notNull: primaryKey, primaryKey };
}

/** Providers keyed by table name (without `system.`). */
export function builtinSystemTables(core: Core): [string, SystemTableProvider][] {
  return [
    [
      'users',
      {
        columns: [text('user_id', true), text('role'), { name: 'enabled', dataType: 'Boolean', notNull: true, primaryKey: false }],
        scan: (): Row[] => core.users.list().map((u) => ({ user_id: u.name, role: u.role, enabled: u.enabled })),
      },
    ],
    [
      'namespaces',
      {
        columns: [text('namespace_id', true)],
        scan: (): Row[] => core.catalog.namespaceList().map((n) => ({ namespace_id: n })),
      },
    ],
    [
      'tables',
      {
        columns: [text('namespace_id', true), text('table_name', true), text('table_type'), text('primary_key'), { name: 'columns', dataType: 'Json', notNull: true, primaryKey: false }],
        scan: (): Row[] =>
          core.catalog.all().map((t) => ({
            namespace_id: t.namespace,
            table_name: t.name,
            table_type: t.kind,
            primary_key: t.primaryKey.join(','),
            columns: t.columns.map((c) => ({ name: c.name, data_type: typeof c.dataType === 'string' ? c.dataType : JSON.stringify(c.dataType), not_null: c.notNull, primary_key: c.primaryKey })),
          })),
      },
    ],
  ];
}
