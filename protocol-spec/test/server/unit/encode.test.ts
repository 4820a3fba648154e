import { createCodec, type ChangeMessage, type Codec } from '@kalam/link/protocol';
import { encodeShared, spliceChange, type SharedChange } from '../../../server/src/live/encode.js';

const codecs: Codec[] = [createCodec('msgpack'), createCodec('json')];

const shared: SharedChange = {
  type: 'change',
  change_type: 'update',
  rows: [{ id: 'a', n: 42, big: 9007199254740993n, nothing: null, bytes: Uint8Array.of(1, 2, 255), doc: { k: [1, 'x'] }, _seq: 7341234567890123456n }],
  old_values: [{ id: 'a', n: 41, big: 1n, nothing: 'was', bytes: Uint8Array.of(), doc: null, _seq: 7341234567890000000n }],
  seq: 7341234567890123456n,
};

describe.each(codecs.map((c) => [c.serialization, c] as const))('change splicing (%s)', (_name, codec) => {
  const ids = ['s1', 'ünïcødé-✓', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(300), 'w'.repeat(70000), 'quote"back\\slash\nnewline'];

  it.each(ids.map((id) => [id.length, id]))('decodes with the real codec to the same message as a whole encode (id length %i)', (_len, id) => {
    const encoded = encodeShared(codec, shared);
    expect(encoded.kind).toBe(codec.serialization);
    const frame = spliceChange(encoded, id, 7341234567890000000n);
    const whole: ChangeMessage = { subscription_id: id, prev_seq: 7341234567890000000n, ...shared };
    expect(codec.decode(frame)).toEqual(codec.decode(codec.encode(whole)));
  });

  it('omits prev_seq when asked (KalamDB compat) and keeps every other field', () => {
    const { seq: _seq, ...noSeq } = shared;
    const frame = spliceChange(encodeShared(codec, noSeq), 'sub', undefined);
    const decoded = codec.decode(frame) as ChangeMessage;
    expect(decoded).not.toHaveProperty('prev_seq');
    expect(decoded).not.toHaveProperty('seq');
    expect(decoded.subscription_id).toBe('sub');
    expect(decoded.rows?.[0]?.['_seq']).toBe(7341234567890123456n);
  });

  it('shares one encoding between subscribers: only id and prev_seq differ', () => {
    const encoded = encodeShared(codec, { type: 'change', change_type: 'delete', old_values: [{ id: 1, _seq: 5n }], seq: 9n });
    const a = codec.decode(spliceChange(encoded, 'a', 1n)) as ChangeMessage;
    const b = codec.decode(spliceChange(encoded, 'b', 2n)) as ChangeMessage;
    expect(a).toEqual({ type: 'change', subscription_id: 'a', prev_seq: 1n, change_type: 'delete', old_values: [{ id: 1, _seq: 5n }], seq: 9n });
    expect(b).toEqual({ ...a, subscription_id: 'b', prev_seq: 2n });
  });

  it('writes prev_seq exactly up to 2^63 - 1', () => {
    const max = (1n << 63n) - 1n;
    const frame = spliceChange(encodeShared(codec, shared), 's', max);
    expect((codec.decode(frame) as ChangeMessage).prev_seq).toBe(max);
  });
});

it('falls back to whole-message encoding when the codec layout is unexpected', () => {
  const json = createCodec('json');
  const odd: Codec = { serialization: 'json', encode: (m) => ` ${json.encode(m) as string}`, decode: json.decode };
  const encoded = encodeShared(odd, shared);
  expect(encoded.kind).toBe('whole');
  expect(json.decode(spliceChange(encoded, 'q', 3n))).toEqual(json.decode(json.encode({ subscription_id: 'q', prev_seq: 3n, ...shared })));
});
