import { createCodec, type SchemaField, type SubscriptionAckMessage } from '@kalam/link/protocol';
import { encodeAckMsgpack } from '../../../server/src/live/ackEncode.js';

const msgpack = createCodec('msgpack');
const schema: SchemaField[] = [
  { name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] },
  { name: 'título', data_type: 'Text', index: 1 },
  { name: 'ts', data_type: 'Double', index: 2, flags: ['nn'] },
];

function ack(over: Partial<SubscriptionAckMessage> = {}): SubscriptionAckMessage {
  return {
    type: 'subscription_ack',
    subscription_id: 's1',
    total_rows: 0,
    batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: 7341234567890123456n },
    schema,
    ...over,
  };
}

const cases: [string, SubscriptionAckMessage][] = [
  ['resumed live ack', ack({ resumed: true })],
  ['resumed false', ack({ resumed: false, total_rows: 3 })],
  ['no resumed (fresh)', ack({ total_rows: 1000, batch_control: { batch_num: 0, has_more: true, status: 'loading', last_seq_id: 99n } })],
  ['null last_seq_id', ack({ batch_control: { batch_num: 0, has_more: true, status: 'loading', last_seq_id: null } })],
  ['max seq', ack({ batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: (1n << 63n) - 1n } })],
  ...[127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER].map((n): [string, SubscriptionAckMessage] => [`total_rows ${n}`, ack({ total_rows: n })]),
  ...['x'.repeat(31), 'y'.repeat(32), 'z'.repeat(300), 'w'.repeat(70000), 'ünï"\\✓'].map((id): [string, SubscriptionAckMessage] => [`id of ${id.length}`, ack({ subscription_id: id, resumed: true })]),
  ['empty schema', ack({ schema: [] })],
];

it.each(cases)('decodes with the real codec to the message the codec encodes (%s)', (_name, message) => {
  const frame = encodeAckMsgpack(msgpack, message);
  expect(frame).toBeInstanceOf(Uint8Array);
  expect(msgpack.decode(frame!)).toEqual(msgpack.decode(msgpack.encode(message)));
});

it('is not used for JSON (the session encodes those)', () => {
  expect(encodeAckMsgpack(createCodec('json'), ack())).toBeUndefined();
});

it('falls back (undefined) for values it would not write as the codec does', () => {
  expect(encodeAckMsgpack(msgpack, ack({ total_rows: -1 }))).toBeUndefined();
  expect(encodeAckMsgpack(msgpack, ack({ total_rows: 1.5 }))).toBeUndefined();
  expect(encodeAckMsgpack(msgpack, ack({ batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: -1n } }))).toBeUndefined();
  expect(encodeAckMsgpack(msgpack, ack({ batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: 1n << 63n } }))).toBeUndefined();
});
