/**
 * Row keys for {@link LiveRows}: which columns identify a row, and how their values become one string.
 */
import type { CellValue, SchemaField } from '../protocol/messages.js';

/**
 * How a live result set (`LiveRows`, `LiveQuery`) identifies a row: a column name, several column names (composite key), or a
 * function returning a string. When absent, the schema's `pk` columns are used.
 *
 * @example
 * ```ts
 * { key: 'id' }                       // one column
 * { key: ['tenant', 'id'] }           // composite
 * { key: (row) => `${row.tenant}/${row.id}` }
 * ```
 */
export type RowKeyOption<T> = string | readonly string[] | ((row: T) => string);

/** A row → key function; `undefined` when the row lacks a key column. */
export type RowKeyFn<T> = (row: T) => string | undefined;

/** The schema's primary-key columns, in projection order. */
export function primaryKeyColumns(schema: readonly SchemaField[] | undefined): string[] {
  if (schema === undefined) return [];
  return schema
    .filter((field) => field.flags?.includes('pk') === true)
    .sort((a, b) => a.index - b.index)
    .map((field) => field.name);
}

/**
 * The key columns that `option` and `schema` select: the explicit columns, else the pk columns,
 * else every column but `_seq` (a last resort for servers that flag no pk: it only matches
 * updates and deletes whose old row is complete). `undefined` for a key function.
 */
export function keyColumns<T>(option: RowKeyOption<T> | undefined, schema: readonly SchemaField[] | undefined): readonly string[] | undefined {
  if (typeof option === 'function') return undefined;
  if (typeof option === 'string') return [option];
  if (option !== undefined) return option;
  const pk = primaryKeyColumns(schema);
  if (pk.length > 0) return pk;
  return schema === undefined ? [] : schema.map((field) => field.name).filter((name) => name !== '_seq');
}

/**
 * Build the key function. With no columns (no option, no schema yet), the whole row minus `_seq`
 * is the key.
 */
export function makeRowKey<T extends object>(option: RowKeyOption<T> | undefined, columns: readonly string[] | undefined): RowKeyFn<T> {
  if (typeof option === 'function') return option;
  const cols = columns ?? [];
  if (cols.length === 0) return (row) => wholeRowKey(row as Record<string, CellValue>);
  if (cols.length === 1) {
    const col = cols[0] as string;
    return (row) => keyPart((row as Record<string, CellValue | undefined>)[col]);
  }
  return (row) => {
    const parts: string[] = [];
    for (const col of cols) {
      const part = keyPart((row as Record<string, CellValue | undefined>)[col]);
      if (part === undefined) return undefined;
      parts.push(part);
    }
    return JSON.stringify(parts);
  };
}

function wholeRowKey(row: Record<string, CellValue>): string {
  const parts: string[] = [];
  for (const name of Object.keys(row).sort()) {
    if (name === '_seq') continue;
    parts.push(name, keyPart(row[name]) ?? '');
  }
  return JSON.stringify(parts);
}

/**
 * One key cell as a string. Numbers, bigints and decimal strings of the same value map to the same
 * part on purpose: a BIGINT key may reach us as `1n` from msgpack and as `"1"` from a JSON path.
 */
export function keyPart(value: CellValue | undefined): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'undefined':
      return undefined;
    default:
      if (value === null) return '\u0000null';
      if (value instanceof Uint8Array) return `\u0000bytes:${Array.from(value).join(',')}`;
      return `\u0000json:${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
  }
}
