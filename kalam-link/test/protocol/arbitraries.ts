/** fast-check arbitraries for protocol v1 messages (shared by the property tests). */
import fc from 'fast-check';
import { SEQ_MAX, type CellValue, type Message, type Row } from '../../src/protocol/index.js';

const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

/** SeqIds, biased towards the edges that break lossy implementations. */
export const seqId = fc.oneof(fc.constantFrom(0n, 1n, (1n << 53n) + 1n, SEQ_MAX), fc.bigInt(0n, SEQ_MAX));
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const id = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((s) => s.trim() !== '');
// `__proto__` is refused by the msgpack decoder; SeqId field names get the JSON big-integer rescue (jsonCodec.ts).
const RESERVED = new Set(['_seq', '__proto__', 'seq', 'prev_seq', 'from', 'from_seq_id', 'last_seq_id']);
const columnName = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }).filter((s) => !RESERVED.has(s));
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0));
const int = fc.integer({ min: 0, max: 2 ** 31 - 1 });

const scalar: fc.Arbitrary<CellValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  finite,
  text,
  fc.bigInt(INT64_MIN, UINT64_MAX),
  fc.uint8Array({ maxLength: 8 }),
);

/** Cells, including nested JSON arrays/maps. */
export const cell: fc.Arbitrary<CellValue> = fc.letrec<{ cell: CellValue }>((tie) => ({
  cell: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('cell'), { maxLength: 3 }),
    fc.dictionary(columnName, tie('cell'), { maxKeys: 3 }),
  ),
})).cell;

export const row: fc.Arbitrary<Row> = fc.tuple(fc.dictionary(columnName, cell, { maxKeys: 4 }), seqId).map(([cells, seq]) => ({ ...cells, _seq: seq }));
const rows = fc.array(row, { maxLength: 4 });
const rows1 = fc.array(row, { minLength: 1, maxLength: 3 });

const protocol = fc.record({ serialization: fc.constantFrom('msgpack' as const, 'json' as const), compression: fc.constantFrom('none' as const, 'gzip' as const) });
const batchControl = fc.record({
  batch_num: int,
  has_more: fc.boolean(),
  status: fc.constantFrom('loading' as const, 'loading_batch' as const, 'ready' as const),
  last_seq_id: fc.option(seqId, { nil: null }),
});
const dataType = fc.oneof(
  fc.constantFrom('Boolean', 'Int', 'SmallInt', 'BigInt', 'Double', 'Float', 'Text', 'Timestamp', 'Date', 'DateTime', 'Time', 'Json', 'Bytes', 'Uuid', 'File'),
  fc.record({ Embedding: fc.integer({ min: 1, max: 4096 }) }),
  fc.record({ Decimal: fc.record({ precision: fc.integer({ min: 1, max: 38 }), scale: fc.integer({ min: 0, max: 38 }) }) }),
);
const schemaField = fc.record(
  { name: columnName, data_type: dataType, index: int, flags: fc.subarray(['pk', 'nn', 'uq'] as ('pk' | 'nn' | 'uq')[]) },
  { requiredKeys: ['name', 'data_type', 'index'] },
);

/** Every message type with every optional field sometimes present. */
export const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant('authenticate' as const), method: fc.constant('jwt' as const), token: text, protocol }, { requiredKeys: ['type', 'method', 'token'] }),
  fc.record({
    type: fc.constant('subscribe' as const),
    subscription: fc.record(
      {
        id,
        sql: text,
        params: fc.array(cell, { maxLength: 3 }),
        options: fc.record({ batch_size: fc.integer({ min: 1, max: 10000 }), last_rows: int, from: seqId }, { requiredKeys: [] }),
      },
      { requiredKeys: ['id', 'sql'] },
    ),
  }),
  fc.record({ type: fc.constant('next_batch' as const), subscription_id: id, last_seq_id: fc.option(seqId, { nil: null }) }, { requiredKeys: ['type', 'subscription_id'] }),
  fc.record({ type: fc.constant('unsubscribe' as const), subscription_id: id }),
  fc.constant({ type: 'ping' as const }),
  fc.record(
    { type: fc.constant('auth_success' as const), user: text, role: fc.constantFrom('anonymous' as const, 'user' as const, 'service' as const, 'dba' as const, 'system' as const), protocol, connection_id: fc.stringMatching(/^[0-9a-f]{32}$/), expires_at: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) },
    { requiredKeys: ['type', 'user', 'role', 'protocol'] },
  ),
  fc.record({ type: fc.constant('auth_error' as const), message: text, code: text }, { requiredKeys: ['type', 'message'] }),
  fc.record(
    { type: fc.constant('subscription_ack' as const), subscription_id: id, total_rows: int, batch_control: batchControl, schema: fc.array(schemaField, { maxLength: 4 }), resumed: fc.boolean() },
    { requiredKeys: ['type', 'subscription_id', 'total_rows', 'batch_control', 'schema'] },
  ),
  fc.record({ type: fc.constant('initial_data_batch' as const), subscription_id: id, rows, batch_control: batchControl }),
  fc.record({ type: fc.constant('change' as const), subscription_id: id, change_type: fc.constant('insert' as const), rows: rows1, seq: seqId, prev_seq: seqId }, { requiredKeys: ['type', 'subscription_id', 'change_type', 'rows'] }),
  fc.record({ type: fc.constant('change' as const), subscription_id: id, change_type: fc.constant('update' as const), rows: rows1, old_values: rows1, seq: seqId, prev_seq: seqId }, { requiredKeys: ['type', 'subscription_id', 'change_type', 'rows'] }),
  fc.record({ type: fc.constant('change' as const), subscription_id: id, change_type: fc.constant('delete' as const), old_values: rows1, seq: seqId, prev_seq: seqId }, { requiredKeys: ['type', 'subscription_id', 'change_type', 'old_values'] }),
  fc.record({ type: fc.constant('error' as const), subscription_id: text, code: text, message: text }, { requiredKeys: ['type', 'code', 'message'] }),
  fc.constant({ type: 'pong' as const }),
  fc.record({ type: fc.constant('unsubscribed' as const), subscription_id: id, reason: fc.constantFrom('killed' as const, 'unauthorized' as const, 'table_dropped' as const, 'auth_expired' as const, 'server_error' as const) }),
) as fc.Arbitrary<Message>;

/** The JSON codec's view of a message: bytes → byte arrays, bigint cells (except row `_seq`) → decimal strings. */
export function jsonView(m: Message): unknown {
  const cellView = (v: unknown): unknown => {
    if (typeof v === 'bigint') return v.toString(10);
    if (v instanceof Uint8Array) return Array.from(v);
    if (Array.isArray(v)) return v.map(cellView);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cellView(x)]));
    return v;
  };
  const rowsView = (rs: readonly Row[]) => rs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === '_seq' ? v : cellView(v)])));
  switch (m.type) {
    case 'initial_data_batch':
      return { ...m, rows: rowsView(m.rows) };
    case 'change':
      return { ...m, ...(m.rows ? { rows: rowsView(m.rows) } : {}), ...(m.old_values ? { old_values: rowsView(m.old_values) } : {}) };
    case 'subscribe':
      return m.subscription.params ? { ...m, subscription: { ...m.subscription, params: m.subscription.params.map(cellView) } } : m;
    default:
      return m;
  }
}
