import type { Message } from '../../src/protocol/index.js';

export const SEQ_0 = 0n;
export const SEQ_2_53_PLUS_1 = 9007199254740993n;
export const SEQ_MAX_63 = 9223372036854775807n;

/** One message of every type, with every optional field, in the spec's field order. */
export const SAMPLE_MESSAGES: readonly Message[] = [
  { type: 'authenticate', method: 'jwt', token: 'eyJ.abc.def', protocol: { serialization: 'msgpack', compression: 'none' } },
  { type: 'authenticate', method: 'jwt', token: 't' },
  {
    type: 'subscribe',
    subscription: { id: 'sub-1', sql: 'SELECT * FROM app.messages WHERE room = $1', params: ['lobby', 3, null, 12n], options: { batch_size: 500, last_rows: 10, from: SEQ_MAX_63 } },
  },
  { type: 'subscribe', subscription: { id: 'live', sql: 'SELECT id FROM app.t' } },
  { type: 'next_batch', subscription_id: 'sub-1', last_seq_id: SEQ_2_53_PLUS_1 },
  { type: 'next_batch', subscription_id: 'sub-1', last_seq_id: null },
  { type: 'next_batch', subscription_id: 'sub-1' },
  { type: 'unsubscribe', subscription_id: 'sub-1' },
  { type: 'ping' },
  { type: 'auth_success', user: 'alice', role: 'dba', protocol: { serialization: 'json', compression: 'gzip' }, connection_id: '0123456789abcdef0123456789abcdef', expires_at: 1767225600000 },
  { type: 'auth_error', message: 'Invalid credentials', code: 'AUTH_FAILED' },
  {
    type: 'subscription_ack',
    subscription_id: 'sub-1',
    total_rows: 2,
    batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: SEQ_0 },
    schema: [
      { name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] },
      { name: 'v', data_type: { Decimal: { precision: 10, scale: 2 } }, index: 1 },
      { name: 'e', data_type: { Embedding: 3 }, index: 2 },
    ],
    resumed: true,
  },
  {
    type: 'initial_data_batch',
    subscription_id: 'sub-1',
    rows: [
      { id: 1n, name: 'zoë 🚀', blob: new Uint8Array([0, 1, 255]), _seq: SEQ_2_53_PLUS_1 },
      { id: 2n, name: null, blob: new Uint8Array([]), _seq: SEQ_MAX_63 },
    ],
    batch_control: { batch_num: 3, has_more: true, status: 'loading_batch', last_seq_id: SEQ_MAX_63 },
  },
  {
    type: 'change',
    subscription_id: 'sub-1',
    change_type: 'update',
    rows: [{ id: 1n, name: 'b', _seq: 300n }],
    old_values: [{ id: 1n, name: 'a', _seq: 200n }],
    seq: 300n,
    prev_seq: 200n,
  },
  { type: 'change', subscription_id: 's', change_type: 'delete', old_values: [{ id: 'x', _seq: 5n }] },
  { type: 'error', subscription_id: 'sub-1', code: 'INVALID_SQL', message: 'bad' },
  { type: 'error', code: 'RATE_LIMIT_EXCEEDED', message: 'slow down' },
  { type: 'pong' },
  { type: 'unsubscribed', subscription_id: 'sub-1', reason: 'killed' },
];
