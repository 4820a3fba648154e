/** Reading the subscription id out of a frame the decoder refused (PROTOCOL.md §5.1). */
import { gzipSync } from 'node:zlib';
import { encode } from '@msgpack/msgpack';
import { namedTarget } from '../../../server/src/transport/salvage.js';

const mp = (v: unknown): Buffer => Buffer.from(encode(v, { useBigInt64: true }));
const peek = (data: Buffer, isBinary = true, serialization: 'json' | 'msgpack' = 'msgpack') => namedTarget(data, isBinary, serialization, 1024 * 1024);

it('finds subscribe, next_batch and unsubscribe ids past fields of every msgpack kind', () => {
  const noise = { n: -5, big: 2n ** 62n, f: 1.5, b: true, z: null, bin: new Uint8Array(300), arr: [[1, [2, { x: 'y' }]]], m: { a: { b: { c: 1 } } }, s: 'é'.repeat(200) };
  expect(peek(mp({ ...noise, type: 'subscribe', subscription: { ...noise, id: 'sub/1', sql: 7 } }))).toEqual({ type: 'subscribe', subscriptionId: 'sub/1' });
  expect(peek(mp({ type: 'next_batch', ...noise, subscription_id: 'nb', last_seq_id: -1 }))).toEqual({ type: 'next_batch', subscriptionId: 'nb' });
  const str = (t: string): number[] => [0xa0 | t.length, ...Buffer.from(t)];
  const intKey = Buffer.from([0x83, 0x01, ...str('int key'), ...str('type'), ...str('unsubscribe'), ...str('subscription_id'), ...str('u')]);
  expect(peek(intKey)).toEqual({ type: 'unsubscribe', subscriptionId: 'u' });
});

it('JSON text, and gzip in the negotiated serialization', () => {
  const json = JSON.stringify({ type: 'subscribe', subscription: { id: 'j', options: { batch_size: 0 } } });
  expect(peek(Buffer.from(json), false, 'msgpack')).toEqual({ type: 'subscribe', subscriptionId: 'j' });
  expect(peek(gzipSync(json), true, 'json')).toEqual({ type: 'subscribe', subscriptionId: 'j' });
  expect(peek(gzipSync(mp({ type: 'unsubscribe', subscription_id: 'g' })), true, 'msgpack')).toEqual({ type: 'unsubscribe', subscriptionId: 'g' });
});

it('names nothing for blank or non-string ids, other types, truncated, invalid or deeply nested frames', () => {
  expect(peek(mp({ type: 'subscribe', subscription: { id: '  ' } }))).toBeUndefined();
  expect(peek(mp({ type: 'subscribe', subscription: { id: 5 } }))).toBeUndefined();
  expect(peek(mp({ type: 'subscribe', subscription: 'id' }))).toBeUndefined();
  expect(peek(mp({ type: 'ping', subscription_id: 'p' }))).toBeUndefined();
  expect(peek(mp(['subscribe']))).toBeUndefined();
  const full = mp({ type: 'unsubscribe', subscription_id: 'cut', pad: 'x' });
  expect(peek(full.subarray(0, full.length - 1))).toBeUndefined();
  expect(peek(Buffer.from([0x81, 0xc1, 0xc0]))).toBeUndefined();
  expect(peek(Buffer.concat([Buffer.from([0x82, 0xa4, ...Buffer.from('type'), 0xa9, ...Buffer.from('subscribe'), 0xa1, 0x78]), Buffer.alloc(500_000, 0x91)]))).toBeUndefined();
  expect(peek(Buffer.from('{"type":"subscribe","subscription":{"id":"x"'), false)).toBeUndefined();
  expect(peek(Buffer.from([0x1f, 0x8b, 1, 2]))).toBeUndefined();
});
