import {
  isClientMessage,
  isServerMessage,
  KalamError,
  validateClientMessage,
  validateMessage,
  validateServerMessage,
} from '../../src/protocol/index.js';
import { SAMPLE_MESSAGES } from './fixtures.js';

function rejects(value: unknown, fragment: string, wire = false): void {
  let error: unknown;
  try {
    validateMessage(value, { wire });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(KalamError);
  expect((error as KalamError).code).toBe('PROTOCOL');
  expect((error as KalamError).message).toContain(fragment);
}

const batchControl = { batch_num: 0, has_more: false, status: 'ready', last_seq_id: null };

describe('validateMessage', () => {
  it.each(SAMPLE_MESSAGES.map((m) => [m.type, m] as const))('accepts a well-formed %s and returns an equal message', (_t, m) => {
    expect(validateMessage(m)).toEqual(m);
  });

  it('ignores unknown extra fields and returns only the known ones', () => {
    expect(validateMessage({ type: 'ping', future: 1 })).toEqual({ type: 'ping' });
    expect(validateMessage({ type: 'unsubscribe', subscription_id: 'a', x: [1] })).toEqual({ type: 'unsubscribe', subscription_id: 'a' });
  });

  it('treats null optional fields as absent, but keeps a null last_seq_id', () => {
    expect(validateMessage({ type: 'error', subscription_id: null, code: 'X', message: 'm' })).toEqual({ type: 'error', code: 'X', message: 'm' });
    expect(validateMessage({ type: 'next_batch', subscription_id: 's', last_seq_id: null })).toEqual({ type: 'next_batch', subscription_id: 's', last_seq_id: null });
    expect(validateMessage({ type: 'subscription_ack', subscription_id: 's', total_rows: 0, batch_control: { ...batchControl, last_seq_id: undefined }, schema: [] }))
      .toEqual({ type: 'subscription_ack', subscription_id: 's', total_rows: 0, batch_control: batchControl, schema: [] });
  });

  it('names the offending field path', () => {
    rejects(null, 'message: expected an object');
    rejects({ type: 'nope' }, 'unknown message type "nope"');
    rejects({ type: 7 }, 'message.type');
    rejects({ type: 'authenticate', method: 'basic', token: 't' }, 'authenticate.method');
    rejects({ type: 'authenticate', method: 'jwt', token: 't', protocol: { serialization: 'cbor', compression: 'none' } }, 'authenticate.protocol.serialization');
    rejects({ type: 'subscribe', subscription: { id: ' ', sql: 'x' } }, 'subscribe.subscription.id: expected a non-blank string');
    rejects({ type: 'subscribe', subscription: { id: 'a' } }, 'subscribe.subscription.sql: expected a string, got nothing (missing)');
    rejects({ type: 'subscribe', subscription: { id: 'a', sql: 's', options: { batch_size: 0 } } }, 'subscribe.subscription.options.batch_size');
    rejects({ type: 'subscribe', subscription: { id: 'a', sql: 's', options: { last_rows: 1.5 } } }, 'subscribe.subscription.options.last_rows');
    rejects({ type: 'subscribe', subscription: { id: 'a', sql: 's', params: [new Date()] } }, 'subscribe.subscription.params[0]');
    rejects({ type: 'subscription_ack', subscription_id: 's', total_rows: -1, batch_control: batchControl, schema: [] }, 'subscription_ack.total_rows');
    rejects({ type: 'subscription_ack', subscription_id: 's', total_rows: 0, batch_control: { ...batchControl, status: 'done' }, schema: [] }, 'subscription_ack.batch_control.status');
    rejects({ type: 'subscription_ack', subscription_id: 's', total_rows: 0, batch_control: batchControl, schema: [{ name: 'a', data_type: 'Blob', index: 0 }] }, 'subscription_ack.schema[0].data_type');
    rejects({ type: 'subscription_ack', subscription_id: 's', total_rows: 0, batch_control: batchControl, schema: [{ name: 'a', data_type: 'Int', index: 0, flags: ['pk', 'x'] }] }, 'subscription_ack.schema[0].flags[1]');
    rejects({ type: 'initial_data_batch', subscription_id: 's', rows: [{ _seq: 1n }, 3], batch_control: batchControl }, 'initial_data_batch.rows[1]: expected a row object');
    rejects({ type: 'initial_data_batch', subscription_id: 's', rows: [{ a: 1 }], batch_control: batchControl }, 'initial_data_batch.rows[0]._seq');
    rejects({ type: 'change', subscription_id: 's', change_type: 'insert' }, 'change.rows');
    rejects({ type: 'change', subscription_id: 's', change_type: 'delete', rows: [{ _seq: 1n }] }, 'change.old_values');
    rejects({ type: 'change', subscription_id: 's', change_type: 'upsert', rows: [] }, 'change.change_type');
    rejects({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ _seq: 1n, x: () => 1 }] }, 'change.rows[0].x');
    rejects({ type: 'unsubscribed', subscription_id: 's', reason: 'bored' }, 'unsubscribed.reason');
    rejects({ type: 'auth_success', user: 'u', role: 'root', protocol: { serialization: 'json', compression: 'none' } }, 'auth_success.role');
  });

  it('requires bigint SeqIds unless reading wire forms', () => {
    rejects({ type: 'next_batch', subscription_id: 's', last_seq_id: '5' }, 'next_batch.last_seq_id');
    rejects({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ _seq: 1n }], seq: 5 }, 'change.seq');
    expect(validateMessage({ type: 'next_batch', subscription_id: 's', last_seq_id: '5' }, { wire: true })).toEqual({ type: 'next_batch', subscription_id: 's', last_seq_id: 5n });
    rejects({ type: 'next_batch', subscription_id: 's', last_seq_id: '9223372036854775808' }, 'next_batch.last_seq_id', true);
    rejects({ type: 'next_batch', subscription_id: 's', last_seq_id: 2 ** 53 }, 'next_batch.last_seq_id', true);
    rejects({ type: 'next_batch', subscription_id: 's', last_seq_id: '-1' }, 'next_batch.last_seq_id', true);
  });

  it('accepts KalamDB\'s from_seq_id alias for options.from', () => {
    expect(validateMessage({ type: 'subscribe', subscription: { id: 'a', sql: 's', options: { from_seq_id: '7' } } }, { wire: true }))
      .toEqual({ type: 'subscribe', subscription: { id: 'a', sql: 's', options: { from: 7n } } });
  });

  it('bounds the nesting of JSON cells', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    rejects({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ _seq: 1n, j: deep }] }, 'change.rows[0].j');
  });

  it('splits client and server messages', () => {
    expect(validateClientMessage({ type: 'ping' })).toEqual({ type: 'ping' });
    expect(() => validateClientMessage({ type: 'pong' })).toThrow('not a client message type');
    expect(validateServerMessage({ type: 'pong' })).toEqual({ type: 'pong' });
    expect(() => validateServerMessage({ type: 'ping' })).toThrow('not a server message type');
    expect(isClientMessage({ type: 'ping' })).toBe(true);
    expect(isServerMessage({ type: 'ping' })).toBe(false);
  });
});
