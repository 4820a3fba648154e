/**
 * Namespaces and table schemas (cached in memory, persisted under `N` / `T`), and the stored row
 * encoding each table uses.
 */
import { KalamError, type CellValue, type KalamDataType, type Row, type SchemaField, type SchemaFlag, type SeqId } from '@kalam/link/protocol';
import type { KvStore, KvWrite } from '../store/kv.js';
import { nameKey, P, prefixRange, type KeyCell, encodeKeyTuple } from '../store/keys.js';
import type { ColumnDef, TableInfo } from './types.js';

/** A table as the engine keeps it. */
export interface TableMeta extends TableInfo {
  /** Incarnation id used in every data key. */
  readonly tid: number;
  /** SeqId at creation: resume points before it belong to an older incarnation. */
  readonly createdSeq: SeqId;
  /** Column types by name, including `_seq`. */
  readonly types: ReadonlyMap<string, KalamDataType>;
  readonly byName: ReadonlyMap<string, ColumnDef>;
}

interface StoredTable {
  tid: number;
  namespace: string;
  name: string;
  kind: 'user' | 'shared';
  columns: ColumnDef[];
  primaryKey: string[];
  createdSeq: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Throw INVALID_ARGUMENT unless `name` is a plain identifier. */
export function checkIdentifier(name: string, what: string): void {
  if (!IDENT.test(name)) throw new KalamError('INVALID_ARGUMENT', `invalid ${what} name: ${JSON.stringify(name)}`);
}

function meta(stored: StoredTable): TableMeta {
  const types = new Map<string, KalamDataType>(stored.columns.map((c) => [c.name, c.dataType]));
  types.set('_seq', 'BigInt');
  return {
    tableId: `${stored.namespace}.${stored.name}`,
    namespace: stored.namespace,
    name: stored.name,
    kind: stored.kind,
    columns: stored.columns,
    primaryKey: stored.primaryKey,
    tid: stored.tid,
    createdSeq: BigInt(stored.createdSeq),
    types,
    byName: new Map(stored.columns.map((c) => [c.name, c])),
  };
}

/** Schema fields (index, pk/nn flags) for `names` of `table`. */
export function schemaFields(table: TableMeta, names: readonly { name: string; as?: string }[]): SchemaField[] {
  return names.map((n, index) => {
    const col = table.byName.get(n.name);
    const dataType: KalamDataType = col ? col.dataType : 'BigInt';
    const flags: SchemaFlag[] = [];
    if (col?.primaryKey) flags.push('pk');
    if (col?.notNull || n.name === '_seq') flags.push('nn');
    return flags.length > 0 ? { name: n.as ?? n.name, data_type: dataType, index, flags } : { name: n.as ?? n.name, data_type: dataType, index };
  });
}

/** Stored row → JSON text (bigints as decimal strings, by schema). */
export function encodeRow(row: Row): Buffer {
  return Buffer.from(rowJson(row), 'utf8');
}

/** The JSON text {@link encodeRow} stores (bigint as decimal strings). */
export function rowJson(row: Row): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** JSON text → stored row (BIGINT columns and `_seq` back to bigint). */
export function decodeRow(table: TableMeta, buf: Buffer): Row {
  return reviveRow(table, JSON.parse(buf.toString('utf8')) as Record<string, CellValue>);
}

/** Parsed JSON row → stored row (BIGINT columns and `_seq` back to bigint), in place. */
export function reviveRow(table: TableMeta, raw: Record<string, CellValue>): Row {
  for (const [name, type] of table.types) {
    const v = raw[name];
    if (type === 'BigInt' && typeof v === 'string') raw[name] = BigInt(v);
  }
  return raw;
}

/** The primary-key tuple of a stored row. */
export function pkOf(table: TableMeta, row: Row): Buffer {
  return encodeKeyTuple(table.primaryKey.map((k) => row[k] as KeyCell));
}

/** In-memory catalog over the `N`/`T`/`M nexttid` keys. */
export class Catalog {
  private readonly namespaces = new Set<string>();
  private readonly tables = new Map<string, TableMeta>();
  private nextTid = 1;

  static async load(kv: KvStore): Promise<Catalog> {
    const c = new Catalog();
    for await (const { key } of kv.range(prefixRange(Buffer.of(P.namespace)))) c.namespaces.add(key.subarray(1).toString('utf8'));
    for await (const { value } of kv.range(prefixRange(Buffer.of(P.table)))) {
      const t = meta(JSON.parse(value.toString('utf8')) as StoredTable);
      c.tables.set(t.tableId, t);
      c.nextTid = Math.max(c.nextTid, t.tid + 1);
    }
    const stored = await kv.get(nameKey(P.meta, 'nexttid'));
    if (stored) c.nextTid = Math.max(c.nextTid, stored.readUInt32BE(0));
    return c;
  }

  hasNamespace(name: string): boolean {
    return this.namespaces.has(name);
  }

  get(tableId: string): TableMeta | undefined {
    return this.tables.get(tableId);
  }

  /** Tables of a namespace. */
  tablesIn(namespace: string): TableMeta[] {
    return [...this.tables.values()].filter((t) => t.namespace === namespace);
  }

  all(): TableMeta[] {
    return [...this.tables.values()];
  }

  namespaceList(): string[] {
    return [...this.namespaces].sort();
  }

  /** Writes creating a namespace; call {@link applyNamespace} after they commit. */
  namespaceWrites(name: string, present: boolean): KvWrite[] {
    const key = nameKey(P.namespace, name);
    return [present ? { type: 'put', key, value: Buffer.from('{}') } : { type: 'del', key }];
  }

  applyNamespace(name: string, present: boolean): void {
    if (present) this.namespaces.add(name);
    else this.namespaces.delete(name);
  }

  /** A new table (not yet visible) and the writes persisting it. */
  prepareTable(spec: Omit<StoredTable, 'tid' | 'createdSeq'>, createdSeq: SeqId): { table: TableMeta; writes: KvWrite[] } {
    const tid = this.nextTid;
    const stored: StoredTable = { ...spec, tid, createdSeq: createdSeq.toString() };
    const tidBuf = Buffer.alloc(4);
    tidBuf.writeUInt32BE(tid + 1);
    const table = meta(stored);
    return {
      table,
      writes: [
        { type: 'put', key: nameKey(P.table, table.tableId), value: Buffer.from(JSON.stringify(stored)) },
        { type: 'put', key: nameKey(P.meta, 'nexttid'), value: tidBuf },
      ],
    };
  }

  applyTable(table: TableMeta): void {
    this.tables.set(table.tableId, table);
    this.nextTid = Math.max(this.nextTid, table.tid + 1);
  }

  removeTable(tableId: string): void {
    this.tables.delete(tableId);
  }
}
