#!/usr/bin/env node
/**
 * Regenerates the golden vectors in this folder from the reference codecs
 * (kalam-link/src/protocol, bundled on the fly with esbuild — no build step needed).
 *
 *   node protocol-spec/vectors/generate.mjs
 *
 * Output: valid/*.json, lenient/*.json, invalid/*.json. See README.md for the format.
 * The generator checks every vector against an independent expectation before writing it.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { build } from 'esbuild';
import { Encoder } from '@msgpack/msgpack';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

const bundle = await build({
  entryPoints: [join(root, 'kalam-link/src/protocol/index.ts')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  write: false,
  logLevel: 'error',
});
const tmp = mkdtempSync(join(tmpdir(), 'kalam-vectors-'));
writeFileSync(join(tmp, 'protocol.mjs'), bundle.outputFiles[0].text);
const P = await import(pathToFileURL(join(tmp, 'protocol.mjs')).href).finally(() => rmSync(tmp, { recursive: true, force: true }));

/** Raw msgpack (no validation) for invalid and lenient frames. */
const raw = new Encoder({ useBigInt64: true });
const hex = (bytes) => Buffer.from(bytes).toString('hex');

// ---------------------------------------------------------------- tagged JSON (README §Decoded values)

export function toTagged(v) {
  if (typeof v === 'bigint') return { $bigint: v.toString(10) };
  if (v instanceof Uint8Array) return { $bytes: hex(v) };
  if (Array.isArray(v)) return v.map(toTagged);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toTagged(x)]));
  return v;
}

/** What the JSON codec yields: bytes → byte arrays; bigint cells other than `_seq` → decimal strings. */
function jsonView(m) {
  const cell = (v) => {
    if (typeof v === 'bigint') return v.toString(10);
    if (v instanceof Uint8Array) return Array.from(v);
    if (Array.isArray(v)) return v.map(cell);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cell(x)]));
    return v;
  };
  const rows = (rs) => rs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === '_seq' ? v : cell(v)])));
  if (m.type === 'initial_data_batch') return { ...m, rows: rows(m.rows) };
  if (m.type === 'change') {
    const out = { ...m };
    if (m.rows) out.rows = rows(m.rows);
    if (m.old_values) out.old_values = rows(m.old_values);
    return out;
  }
  if (m.type === 'subscribe' && m.subscription.params) return { ...m, subscription: { ...m.subscription, params: m.subscription.params.map(cell) } };
  return m;
}

// ---------------------------------------------------------------- inputs

const S0 = 0n;
const S53 = 9007199254740993n; // 2^53 + 1
const SMAX = 9223372036854775807n; // 2^63 - 1
const S = 510539401601056800n; // a realistic SeqId (2027)
const MSGPACK_NONE = { serialization: 'msgpack', compression: 'none' };
const BC = (batch_num, has_more, status, last_seq_id) => ({ batch_num, has_more, status, last_seq_id });
const SCHEMA = [
  { name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] },
  { name: 'room', data_type: 'Text', index: 1 },
  { name: 'body', data_type: 'Text', index: 2 },
];
const row = (id, body, seq) => ({ id: BigInt(id), room: 'lobby', body, _seq: seq });
const allBytes = new Uint8Array(256).map((_, i) => i);

const client = [
  ['authenticate-msgpack', { type: 'authenticate', method: 'jwt', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig', protocol: MSGPACK_NONE }],
  ['authenticate-json-gzip', { type: 'authenticate', method: 'jwt', token: 't', protocol: { serialization: 'json', compression: 'gzip' } }],
  ['authenticate-no-protocol', { type: 'authenticate', method: 'jwt', token: 't' }],
  ['subscribe-live-only', { type: 'subscribe', subscription: { id: 's1', sql: 'SELECT * FROM chat.messages' } }],
  ['subscribe-empty-options', { type: 'subscribe', subscription: { id: 's1', sql: 'SELECT * FROM chat.messages', options: {} } }],
  ['subscribe-batch-size', { type: 'subscribe', subscription: { id: 's1', sql: 'SELECT id, body FROM chat.messages', options: { batch_size: 10000 } } }],
  ['subscribe-last-rows', { type: 'subscribe', subscription: { id: 's1', sql: 'SELECT * FROM chat.messages', options: { batch_size: 100, last_rows: 50 } } }],
  ['subscribe-last-rows-zero', { type: 'subscribe', subscription: { id: 's1', sql: 'SELECT * FROM chat.messages', options: { last_rows: 0 } } }],
  ['subscribe-from-0', { type: 'subscribe', subscription: { id: 's1', sql: 'SELECT * FROM chat.messages', options: { from: S0 } } }],
  ['subscribe-from-2^53+1', { type: 'subscribe', subscription: { id: 's1', sql: 'SELECT * FROM chat.messages', options: { from: S53 } } }],
  ['subscribe-from-2^63-1', { type: 'subscribe', subscription: { id: 's1', sql: 'SELECT * FROM chat.messages', options: { batch_size: 1000, from: SMAX } } }],
  [
    'subscribe-params',
    {
      type: 'subscribe',
      subscription: {
        id: 'room-lobby',
        sql: 'SELECT * FROM chat.messages WHERE room = $1 AND id > $2 AND score >= $3 AND pinned = $4 AND deleted_at IS NOT DISTINCT FROM $5 AND blob = $6',
        params: ['lobby', -9223372036854775808n, 0.5, true, null, new Uint8Array([0xde, 0xad])],
      },
    },
  ],
  ['subscribe-unicode', { type: 'subscribe', subscription: { id: 'ünï-🚀', sql: "SELECT * FROM chat.messages WHERE body = 'héllo 世界 🎉'" } }],
  ['next_batch-seq', { type: 'next_batch', subscription_id: 's1', last_seq_id: S }],
  ['next_batch-seq-max', { type: 'next_batch', subscription_id: 's1', last_seq_id: SMAX }],
  ['next_batch-null', { type: 'next_batch', subscription_id: 's1', last_seq_id: null }],
  ['next_batch-absent', { type: 'next_batch', subscription_id: 's1' }],
  ['unsubscribe', { type: 'unsubscribe', subscription_id: 's1' }],
  ['ping', { type: 'ping' }],
];

const server = [
  ['auth_success-kalamdb', { type: 'auth_success', user: 'alice', role: 'user', protocol: { serialization: 'json', compression: 'gzip' } }],
  ['auth_success-extensions', { type: 'auth_success', user: 'admin', role: 'dba', protocol: MSGPACK_NONE, connection_id: '0123456789abcdef0123456789abcdef', expires_at: 1767229200000 }],
  ['auth_error-kalamdb', { type: 'auth_error', message: 'Invalid credentials' }],
  ['auth_error-code', { type: 'auth_error', message: 'token expired', code: 'AUTH_EXPIRED' }],
  ['subscription_ack-loading', { type: 'subscription_ack', subscription_id: 's1', total_rows: 2500, batch_control: BC(0, true, 'loading', S - 3n), schema: SCHEMA }],
  ['subscription_ack-live-only', { type: 'subscription_ack', subscription_id: 's1', total_rows: 0, batch_control: BC(0, false, 'ready', S), schema: SCHEMA }],
  ['subscription_ack-empty', { type: 'subscription_ack', subscription_id: 's1', total_rows: 0, batch_control: BC(0, false, 'ready', null), schema: [] }],
  ['subscription_ack-resumed', { type: 'subscription_ack', subscription_id: 's1', total_rows: 0, batch_control: BC(0, false, 'ready', SMAX), schema: SCHEMA, resumed: true }],
  ['subscription_ack-not-resumed', { type: 'subscription_ack', subscription_id: 's1', total_rows: 3, batch_control: BC(0, false, 'ready', S), schema: SCHEMA, resumed: false }],
  [
    'subscription_ack-all-types',
    {
      type: 'subscription_ack',
      subscription_id: 'types',
      total_rows: 0,
      batch_control: BC(0, false, 'ready', S0),
      schema: [
        'Boolean', 'Int', 'SmallInt', 'BigInt', 'Double', 'Float', 'Text', 'Timestamp', 'Date', 'DateTime', 'Time', 'Json', 'Bytes', 'Uuid', 'File',
        { Embedding: 384 },
        { Decimal: { precision: 18, scale: 4 } },
      ].map((data_type, index) => ({ name: `c${index}`, data_type, index, ...(index === 0 ? { flags: ['pk', 'nn', 'uq'] } : {}) })),
    },
  ],
  ['initial_data_batch-empty', { type: 'initial_data_batch', subscription_id: 's1', rows: [], batch_control: BC(0, false, 'ready', S) }],
  ['initial_data_batch-loading', { type: 'initial_data_batch', subscription_id: 's1', rows: [row(1, 'hi', S - 3n), row(2, 'yo', S - 2n)], batch_control: BC(0, true, 'loading', S - 2n) }],
  ['initial_data_batch-loading_batch', { type: 'initial_data_batch', subscription_id: 's1', rows: [row(3, 'a', S - 1n)], batch_control: BC(1, true, 'loading_batch', S - 1n) }],
  ['initial_data_batch-ready-snapshot-point', { type: 'initial_data_batch', subscription_id: 's1', rows: [row(4, 'b', S0 + 7n)], batch_control: BC(2, false, 'ready', S) }],
  [
    'initial_data_batch-seq-edges',
    { type: 'initial_data_batch', subscription_id: 's1', rows: [row(1, 'zero', S0), row(2, '2^53+1', S53), row(3, '2^63-1', SMAX)], batch_control: BC(0, false, 'ready', SMAX) },
  ],
  [
    'initial_data_batch-unicode',
    {
      type: 'initial_data_batch',
      subscription_id: 's1',
      rows: [
        { id: 1n, text: 'héllo wörld', _seq: 1n },
        { id: 2n, text: '世界 こんにちは 안녕', _seq: 2n },
        { id: 3n, text: '🚀👩‍👩‍👧‍👦🏳️‍🌈', _seq: 3n },
        { id: 4n, text: 'שלום مرحبا', _seq: 4n },
        { id: 5n, text: 'e\u0301 \u0000 \t\n"\\ \u2028', _seq: 5n },
        { id: 6n, text: '', _seq: 6n },
      ],
      batch_control: BC(0, false, 'ready', 6n),
    },
  ],
  [
    'initial_data_batch-bytes',
    {
      type: 'initial_data_batch',
      subscription_id: 's1',
      rows: [
        { id: 1n, blob: allBytes, _seq: 1n },
        { id: 2n, blob: new Uint8Array([]), _seq: 2n },
        { id: 3n, blob: null, _seq: 3n },
      ],
      batch_control: BC(0, false, 'ready', 3n),
    },
  ],
  [
    'initial_data_batch-int64-cells',
    {
      type: 'initial_data_batch',
      subscription_id: 's1',
      rows: [
        { id: -9223372036854775808n, n: 18446744073709551615n, _seq: 1n },
        { id: 0n, n: -1n, _seq: 2n },
        { id: 9007199254740993n, n: 42n, _seq: 3n },
      ],
      batch_control: BC(0, false, 'ready', 3n),
    },
  ],
  [
    'initial_data_batch-scalars-and-json',
    {
      type: 'initial_data_batch',
      subscription_id: 's1',
      rows: [
        { id: 1n, i: 2147483647, neg: -129, f: 0.5, big: 1e300, tiny: -2.5e-300, ts: 1767225600000000, safe: 9007199254740991, yes: true, no: false, nothing: null, _seq: 1n },
        { id: 2n, doc: { a: [1, 'two', { three: null }], b: { nested: { deeper: [true, 3.25] } } }, list: [], map: {}, _seq: 2n },
      ],
      batch_control: BC(0, false, 'ready', 2n),
    },
  ],
  ['change-insert', { type: 'change', subscription_id: 's1', change_type: 'insert', rows: [row(5, 'new', S + 1n)] }],
  ['change-update', { type: 'change', subscription_id: 's1', change_type: 'update', rows: [row(5, null, S + 2n)], old_values: [row(5, 'new', S + 1n)] }],
  ['change-delete', { type: 'change', subscription_id: 's1', change_type: 'delete', old_values: [row(5, null, S + 2n)] }],
  ['change-insert-seq', { type: 'change', subscription_id: 's1', change_type: 'insert', rows: [row(6, 'x', S + 3n)], seq: S + 3n, prev_seq: S }],
  ['change-update-seq', { type: 'change', subscription_id: 's1', change_type: 'update', rows: [row(6, 'y', S + 4n)], old_values: [row(6, 'x', S + 3n)], seq: S + 4n, prev_seq: S + 3n }],
  ['change-delete-seq', { type: 'change', subscription_id: 's1', change_type: 'delete', old_values: [row(6, 'y', S + 4n)], seq: S + 5n, prev_seq: S + 4n }],
  ['change-seq-edges', { type: 'change', subscription_id: 's1', change_type: 'insert', rows: [row(7, 'last', SMAX)], seq: SMAX, prev_seq: S53 }],
  ['change-first-after-zero', { type: 'change', subscription_id: 's1', change_type: 'insert', rows: [row(1, 'first', 1n)], seq: 1n, prev_seq: S0 }],
  [
    'change-multi-row',
    { type: 'change', subscription_id: 's1', change_type: 'update', rows: [row(1, 'a2', S + 9n), row(2, 'b2', S + 9n)], old_values: [row(1, 'a', S - 3n), row(2, 'b', S - 2n)] },
  ],
  ['change-bytes-unicode', { type: 'change', subscription_id: 'ünï', change_type: 'insert', rows: [{ id: 9n, blob: new Uint8Array([0, 255]), text: 'ß🚀', _seq: S53 }], seq: S53, prev_seq: 1n }],
  ['error-subscription', { type: 'error', subscription_id: 's1', code: 'INVALID_SQL', message: 'expected SELECT' }],
  ['error-connection', { type: 'error', code: 'RATE_LIMIT_EXCEEDED', message: 'too many messages; frame ignored' }],
  ['error-kalamdb-synthetic', { type: 'error', subscription_id: 'protocol', code: 'MESSAGE_TOO_LARGE', message: 'Message too large' }],
  ['pong', { type: 'pong' }],
  ...['killed', 'unauthorized', 'table_dropped', 'auth_expired', 'server_error'].map((reason) => [`unsubscribed-${reason}`, { type: 'unsubscribed', subscription_id: 's1', reason }]),
];

const big = {
  type: 'initial_data_batch',
  subscription_id: 'big',
  rows: Array.from({ length: 1000 }, (_, i) => ({ id: i + 1, _seq: S + BigInt(i) })),
  batch_control: BC(0, true, 'loading', S + 999n),
};

// ---------------------------------------------------------------- lenient and invalid frames

const m = (value) => ({ encoding: 'msgpack', frame: hex(raw.encode(value)) });
const j = (text) => ({ encoding: 'json', frame: text });
const cfHex = (seq) => `cf${seq.toString(16).padStart(16, '0')}`;

const lenient = [
  ['msgpack-compact-seqid', 'server_to_client', m({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ _seq: 42 }], seq: 42, prev_seq: 7 }),
    { type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ _seq: 42n }], seq: 42n, prev_seq: 7n }],
  ['msgpack-row-seq-as-string-kalamdb', 'server_to_client', m({ type: 'initial_data_batch', subscription_id: 's', rows: [{ id: '5', _seq: '9223372036854775807' }], batch_control: BC(0, false, 'ready', SMAX) }),
    { type: 'initial_data_batch', subscription_id: 's', rows: [{ id: '5', _seq: SMAX }], batch_control: BC(0, false, 'ready', SMAX) }],
  ['json-seqid-number-kalamdb', 'server_to_client', j('{"type":"subscription_ack","subscription_id":"s","total_rows":0,"batch_control":{"batch_num":0,"has_more":false,"status":"ready","last_seq_id":9223372036854775807},"schema":[]}'),
    { type: 'subscription_ack', subscription_id: 's', total_rows: 0, batch_control: BC(0, false, 'ready', SMAX), schema: [] }],
  ['json-seqid-number-2^53+1', 'client_to_server', j('{"type":"next_batch","subscription_id":"s","last_seq_id":9007199254740993}'),
    { type: 'next_batch', subscription_id: 's', last_seq_id: S53 }],
  ['json-seqid-safe-number', 'client_to_server', j('{"type":"subscribe","subscription":{"id":"s","sql":"SELECT * FROM a.b","options":{"from":12}}}'),
    { type: 'subscribe', subscription: { id: 's', sql: 'SELECT * FROM a.b', options: { from: 12n } } }],
  ['json-from_seq_id-alias', 'client_to_server', j('{"type":"subscribe","subscription":{"id":"s","sql":"SELECT * FROM a.b","options":{"from_seq_id":"99"}}}'),
    { type: 'subscribe', subscription: { id: 's', sql: 'SELECT * FROM a.b', options: { from: 99n } } }],
  ['json-null-optionals', 'server_to_client', j('{"type":"change","subscription_id":"s","change_type":"delete","rows":null,"old_values":[{"_seq":"3"}],"seq":null}'),
    { type: 'change', subscription_id: 's', change_type: 'delete', old_values: [{ _seq: 3n }] }],
  ['json-unknown-fields', 'server_to_client', j('{"type":"pong","future_field":{"x":1},"version":2}'), { type: 'pong' }],
  ['json-missing-last_seq_id', 'server_to_client', j('{"type":"initial_data_batch","subscription_id":"s","rows":[],"batch_control":{"batch_num":0,"has_more":false,"status":"ready"}}'),
    { type: 'initial_data_batch', subscription_id: 's', rows: [], batch_control: BC(0, false, 'ready', null) }],
  ['msgpack-int-fields-as-uint64', 'server_to_client', m({ type: 'subscription_ack', subscription_id: 's', total_rows: 3n, batch_control: { batch_num: 0n, has_more: false, status: 'ready', last_seq_id: 5n }, schema: [{ name: 'id', data_type: 'Int', index: 0n }] }),
    { type: 'subscription_ack', subscription_id: 's', total_rows: 3, batch_control: BC(0, false, 'ready', 5n), schema: [{ name: 'id', data_type: 'Int', index: 0 }] }],
  ['msgpack-seq-uint64-in-next_batch', 'client_to_server', { encoding: 'msgpack', frame: `83a474797065aa6e6578745f6261746368af737562736372697074696f6e5f6964a173ab6c6173745f7365715f6964${cfHex(5n)}` },
    { type: 'next_batch', subscription_id: 's', last_seq_id: 5n }],
];

const invalid = [
  ['msgpack-truncated', 'server_to_client', { encoding: 'msgpack', frame: hex(P.encodeMsgpack({ type: 'unsubscribed', subscription_id: 's1', reason: 'killed' })).slice(0, -6) }, 'truncated map'],
  ['msgpack-reserved-byte', 'server_to_client', { encoding: 'msgpack', frame: 'c1' }, '0xc1 is never used'],
  ['msgpack-trailing-bytes', 'client_to_server', { encoding: 'msgpack', frame: `${hex(P.encodeMsgpack({ type: 'ping' }))}00` }, 'one frame = one message'],
  ['msgpack-array-not-map', 'client_to_server', m(['ping']), 'messages are maps'],
  ['msgpack-timestamp-ext-cell', 'server_to_client', m({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ _seq: 1n, at: new Date(0) }] }), 'no extension types'],
  ['msgpack-negative-seqid', 'client_to_server', m({ type: 'next_batch', subscription_id: 's', last_seq_id: -1n }), 'SeqIds are 0..2^63-1'],
  ['msgpack-seqid-2^63', 'server_to_client', m({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ _seq: 1n }], seq: 1n << 63n }), 'SeqIds are 0..2^63-1'],
  ['msgpack-seqid-float', 'client_to_server', m({ type: 'subscribe', subscription: { id: 's', sql: 'SELECT * FROM a.b', options: { from: 2 ** 60 } } }), 'a float cannot carry a SeqId'],
  ['json-syntax', 'client_to_server', j('{"type":"ping"'), 'invalid JSON'],
  ['json-not-object', 'client_to_server', j('["ping"]'), 'messages are objects'],
  ['json-unknown-type', 'client_to_server', j('{"type":"subscribe_all"}'), 'unknown type'],
  ['json-type-missing', 'server_to_client', j('{"subscription_id":"s"}'), 'type is required'],
  ['json-missing-sql', 'client_to_server', j('{"type":"subscribe","subscription":{"id":"s"}}'), 'subscription.sql is required'],
  ['json-blank-subscription-id', 'client_to_server', j('{"type":"subscribe","subscription":{"id":"  ","sql":"SELECT * FROM a.b"}}'), 'ids are non-blank'],
  ['json-wrong-type-total_rows', 'server_to_client', j('{"type":"subscription_ack","subscription_id":"s","total_rows":"3","batch_control":{"batch_num":0,"has_more":false,"status":"ready","last_seq_id":null},"schema":[]}'), 'total_rows is an int'],
  ['json-seqid-not-decimal', 'client_to_server', j('{"type":"next_batch","subscription_id":"s","last_seq_id":"12a"}'), 'decimal digits only'],
  ['json-seqid-leading-zero', 'client_to_server', j('{"type":"next_batch","subscription_id":"s","last_seq_id":"007"}'), 'canonical decimal'],
  ['json-seqid-fraction', 'server_to_client', j('{"type":"change","subscription_id":"s","change_type":"insert","rows":[{"_seq":"1"}],"seq":1.5}'), 'SeqIds are integers'],
  ['json-unknown-change-type', 'server_to_client', j('{"type":"change","subscription_id":"s","change_type":"upsert","rows":[{"_seq":"1"}]}'), 'known enum'],
  ['json-insert-without-rows', 'server_to_client', j('{"type":"change","subscription_id":"s","change_type":"insert","old_values":[{"_seq":"1"}]}'), 'insert carries rows'],
  ['json-row-without-seq', 'server_to_client', j('{"type":"initial_data_batch","subscription_id":"s","rows":[{"id":"1"}],"batch_control":{"batch_num":0,"has_more":false,"status":"ready","last_seq_id":"1"}}'), 'rows carry _seq'],
  ['json-unknown-data-type', 'server_to_client', j('{"type":"subscription_ack","subscription_id":"s","total_rows":0,"batch_control":{"batch_num":0,"has_more":false,"status":"ready","last_seq_id":null},"schema":[{"name":"a","data_type":"Blob","index":0}]}'), 'known data types'],
  ['json-bad-method', 'client_to_server', j('{"type":"authenticate","method":"basic","token":"t"}'), 'method is "jwt"'],
  ['json-server-message-invalid-role', 'server_to_client', j('{"type":"auth_success","user":"u","role":"root","protocol":{"serialization":"json","compression":"none"}}'), 'known role'],
  ['json-oversize', 'server_to_client', { ...j(`{"type":"error","code":"X","message":"${'x'.repeat(100)}"}`), max_frame_bytes: 64 }, 'frame larger than max_frame_bytes'],
  ['msgpack-oversize', 'server_to_client', { encoding: 'msgpack', frame: hex(P.encodeMsgpack({ type: 'error', code: 'X', message: 'x'.repeat(100) })), max_frame_bytes: 64 }, 'frame larger than max_frame_bytes'],
];

// ---------------------------------------------------------------- build + self-check

function validVector(name, direction, message) {
  const canon = P.validateMessage(message);
  const bytes = P.encodeMsgpack(canon);
  const json = P.encodeJson(canon);
  const backMsgpack = P.decodeMsgpack(bytes);
  if (!isDeepStrictEqual(toTagged(backMsgpack), toTagged(canon))) throw new Error(`${name}: msgpack round trip differs`);
  const expectedJson = jsonView(canon);
  if (!isDeepStrictEqual(toTagged(P.decodeJson(json)), toTagged(expectedJson))) throw new Error(`${name}: JSON decode differs from the rule`);
  const v = { name, direction, msgpack: hex(bytes), json, decoded: toTagged(canon) };
  if (!isDeepStrictEqual(expectedJson, canon)) v.decoded_json = toTagged(expectedJson);
  return v;
}

function decodeRaw(f) {
  const opts = f.max_frame_bytes === undefined ? {} : { maxFrameBytes: f.max_frame_bytes };
  return f.encoding === 'json' ? P.createJsonCodec(opts).decode(f.frame) : P.createMsgpackCodec(opts).decode(Buffer.from(f.frame, 'hex'));
}

function lenientVector([name, direction, frame, decoded]) {
  const got = decodeRaw(frame);
  if (!isDeepStrictEqual(toTagged(got), toTagged(decoded))) throw new Error(`${name}: lenient decode gave ${JSON.stringify(toTagged(got))}`);
  return { name, direction, ...frame, decoded: toTagged(decoded) };
}

function invalidVector([name, direction, frame, reason]) {
  try {
    decodeRaw(frame);
  } catch (e) {
    if (!(e instanceof P.KalamError) || e.code !== 'PROTOCOL') throw new Error(`${name}: threw ${e}`);
    return { name, direction, ...frame, error: 'PROTOCOL', reason, message: e.message };
  }
  throw new Error(`${name}: decoded without error`);
}

function write(dir, file, description, vectors) {
  mkdirSync(join(here, dir), { recursive: true });
  // One line per field keeps the files small and diffs readable.
  const body = vectors.map((v) => `    {\n${Object.entries(v).map(([k, x]) => `      ${JSON.stringify(k)}: ${JSON.stringify(x)}`).join(',\n')}\n    }`).join(',\n');
  writeFileSync(join(here, dir, file), `{\n  "description": ${JSON.stringify(description)},\n  "vectors": [\n${body}\n  ]\n}\n`);
}

for (const dir of ['valid', 'lenient', 'invalid']) {
  mkdirSync(join(here, dir), { recursive: true });
  for (const f of readdirSync(join(here, dir))) if (f.endsWith('.json')) rmSync(join(here, dir, f));
}
write('valid', 'client.json', 'Every client → server message and field variant.', client.map(([n, msg]) => validVector(n, 'client_to_server', msg)));
write('valid', 'server.json', 'Every server → client message and field variant.', server.map(([n, msg]) => validVector(n, 'server_to_client', msg)));
write('valid', 'batch-1000.json', 'A 1,000-row initial_data_batch (rows {id, _seq}).', [validVector('initial_data_batch-1000-rows', 'server_to_client', big)]);
write('lenient', 'lenient.json', 'Accepted but non-canonical frames (other encoders, KalamDB forms): decode only.', lenient.map(lenientVector));
write('invalid', 'invalid.json', 'Malformed frames: every decoder must reject them with the given error code.', invalid.map(invalidVector));
console.log(`vectors: ${client.length + server.length + 1} valid, ${lenient.length} lenient, ${invalid.length} invalid`);
