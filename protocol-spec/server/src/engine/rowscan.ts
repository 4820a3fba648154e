/**
 * Reading rows of one table partition: primary-key point lookups when WHERE pins the key,
 * otherwise a range scan in key order; and the writes of one row change.
 */
import type { ParamValue, Row, SeqId } from '@kalam/link/protocol';
import type { Expr } from '../sql/ast.js';
import type { RowPredicate } from '../sql/compile.js';
import { coerce } from '../sql/values.js';
import type { KvReader, KvWrite } from '../store/kv.js';
import { encodeKeyTuple, P, partitionPrefix, prefixRange, seqKey, type KeyCell } from '../store/keys.js';
import { decodeRow, encodeRow, pkOf, type TableMeta } from './catalog.js';

function conjuncts(e: Expr | null, out: Expr[] = []): Expr[] {
  if (e === null) return out;
  if (e.kind === 'and') {
    conjuncts(e.left, out);
    conjuncts(e.right, out);
  } else out.push(e);
  return out;
}

function constValue(e: Expr, params: readonly ParamValue[]): { value: unknown } | undefined {
  if (e.kind === 'lit') return { value: e.value };
  if (e.kind === 'param' && e.index <= params.length) return { value: params[e.index - 1] };
  return undefined;
}

/** Primary-key tuples pinned by WHERE (`pk = c AND ...` or single-column `pk IN (...)`), or null. */
export function pinnedKeys(table: TableMeta, where: Expr | null, params: readonly ParamValue[]): Buffer[] | null {
  const eq = new Map<string, KeyCell>();
  let inList: { column: string; values: KeyCell[] } | undefined;
  for (const c of conjuncts(where)) {
    if (c.kind === 'cmp' && c.op === '=') {
      const [col, other] = c.left.kind === 'col' ? [c.left, c.right] : c.right.kind === 'col' ? [c.right, c.left] : [undefined, undefined];
      if (!col || col.kind !== 'col' || !other || !table.primaryKey.includes(col.name)) continue;
      const v = constValue(other, params);
      if (!v) continue;
      const cell = coerce(v.value, table.types.get(col.name)!, col.name);
      if (cell === null) return [];
      eq.set(col.name, cell as KeyCell);
    } else if (c.kind === 'in' && !c.negated && c.expr.kind === 'col' && table.primaryKey.length === 1 && c.expr.name === table.primaryKey[0]) {
      const values: KeyCell[] = [];
      for (const item of c.list) {
        const v = constValue(item, params);
        if (!v) return null;
        const cell = coerce(v.value, table.types.get(c.expr.name)!, c.expr.name);
        if (cell !== null) values.push(cell as KeyCell);
      }
      inList = { column: c.expr.name, values };
    }
  }
  if (table.primaryKey.every((k) => eq.has(k))) return [encodeKeyTuple(table.primaryKey.map((k) => eq.get(k)!))];
  if (inList) return [...new Map(inList.values.map((v) => [encodeKeyTuple([v]).toString('hex'), encodeKeyTuple([v])])).values()];
  return null;
}

export function rowKey(table: TableMeta, partition: string, pk: Buffer): Buffer {
  return Buffer.concat([partitionPrefix(P.row, table.tid, partition), pk]);
}

/** Rows of a partition matching `predicate`, in primary-key order, stopping after `limit`. */
export async function scanRows(
  reader: KvReader,
  table: TableMeta,
  partition: string,
  where: Expr | null,
  params: readonly ParamValue[],
  predicate: RowPredicate,
  limit = Infinity,
): Promise<Row[]> {
  const out: Row[] = [];
  if (limit <= 0) return out;
  const keys = pinnedKeys(table, where, params);
  if (keys !== null) {
    keys.sort(Buffer.compare);
    const values = await reader.getMany(keys.map((k) => rowKey(table, partition, k)));
    for (const v of values) {
      if (!v) continue;
      const row = decodeRow(table, v);
      if (predicate(row)) out.push(row);
      if (out.length >= limit) break;
    }
    return out;
  }
  for await (const { value } of reader.range(prefixRange(partitionPrefix(P.row, table.tid, partition)))) {
    const row = decodeRow(table, value);
    if (predicate(row)) {
      out.push(row);
      if (out.length >= limit) break;
    }
  }
  return out;
}

/** Writes of one row change: the row itself and its `_seq` index entry. */
export function rowChangeWrites(table: TableMeta, partition: string, oldRow: Row | null, newRow: Row | null, out: KvWrite[]): void {
  const ref = newRow ?? oldRow!;
  const key = rowKey(table, partition, pkOf(table, ref));
  if (oldRow) out.push({ type: 'del', key: seqKey(P.seqIndex, table.tid, partition, oldRow['_seq'] as SeqId) });
  if (newRow) {
    const value = encodeRow(newRow);
    out.push({ type: 'put', key, value }, { type: 'put', key: seqKey(P.seqIndex, table.tid, partition, newRow['_seq'] as SeqId), value });
  } else out.push({ type: 'del', key });
}
