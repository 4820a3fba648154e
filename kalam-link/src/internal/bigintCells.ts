import type { CellValue, Row, SchemaField } from '../protocol/messages.js';

let lastSchema: readonly SchemaField[] | undefined;
let lastColumns: readonly string[] = ['_seq'];

/** Names of the 64-bit columns of a schema (data type `BigInt`) plus `_seq`. */
export function bigintColumns(schema: readonly SchemaField[]): readonly string[] {
  // The codec hands every ack of a resume the same schema object: compute its columns once.
  if (schema === lastSchema) return lastColumns;
  const names = ['_seq'];
  for (const field of schema) if (field.data_type === 'BigInt' && field.name !== '_seq') names.push(field.name);
  lastSchema = schema;
  lastColumns = names;
  return names;
}

/**
 * Turn 64-bit cells that arrived as decimal strings (JSON, KalamDB msgpack) or small numbers into
 * `bigint`, in place, so both codecs hand applications the same values. Rows are freshly decoded
 * and owned by the caller, so mutation avoids a copy per row on the hot path.
 */
export function convertBigintCells(row: Row, columns: readonly string[]): void {
  const mutable = row as Record<string, CellValue>;
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i] as string;
    const value = mutable[name];
    if (typeof value === 'string') {
      if (/^-?[0-9]+$/.test(value)) mutable[name] = BigInt(value);
    } else if (typeof value === 'number' && Number.isSafeInteger(value)) {
      mutable[name] = BigInt(value);
    }
  }
}
