import fc from 'fast-check';
import { createCodec, type ChangeMessage, type Codec, type Row } from '@kalam/link/protocol';
import { encodeShared, type SharedChange } from '../../../server/src/live/encode.js';
import { fastPathAgrees, writeSharedChange } from '../../../server/src/live/msgpackChange.js';

const msgpack = createCodec('msgpack');

/** The codec's own bytes for the shared entries (what the direct writer must reproduce). */
function codecTail(shared: SharedChange): Buffer {
  const whole = msgpack.encode({ subscription_id: '', ...shared } as ChangeMessage) as Uint8Array;
  // fixmap header, "subscription_id" (fixstr of 15), "" — then the shared entries
  return Buffer.from(whole.subarray(1 + 16 + 1));
}

const cell: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    fc.constantFrom(0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -0, NaN, Infinity),
    fc.double(),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }),
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ minLength: 30, maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 17 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 17 })),
})).node;

const row = fc.dictionary(fc.string({ unit: 'binary', maxLength: 20 }), cell, { maxKeys: 20 }) as fc.Arbitrary<Row>;
const shared: fc.Arbitrary<SharedChange> = fc.record(
  {
    type: fc.constant('change' as const),
    change_type: fc.constantFrom('insert' as const, 'update' as const, 'delete' as const),
    rows: fc.array(row, { minLength: 1, maxLength: 2 }),
    old_values: fc.array(row, { minLength: 1, maxLength: 2 }),
    seq: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
  },
  { requiredKeys: ['type', 'change_type'] },
);

describe('direct msgpack change writer', () => {
  it('agrees with the link codec (checked before use)', () => {
    expect(fastPathAgrees(msgpack)).toBe(true);
  });

  it('writes exactly the bytes the codec writes, or declines (property)', () => {
    let written = 0;
    fc.assert(
      fc.property(shared, (s) => {
        const direct = writeSharedChange(s);
        if (direct === undefined) return;
        written++;
        expect(direct.entries).toBe(Object.values(s).filter((v) => v !== undefined).length);
        expect(Buffer.from(direct.tail).equals(codecTail(s))).toBe(true);
      }),
      { numRuns: 600 },
    );
    // the writer must actually be exercised, not decline everything
    expect(written).toBeGreaterThan(400);
  });

  it('declines what only the codec writes exactly', () => {
    const base = { type: 'change', change_type: 'insert', seq: 1n } as const;
    expect(writeSharedChange({ ...base, rows: [{ when: new Date(0) as unknown as Row[string] }] })).toBeUndefined();
    expect(writeSharedChange({ ...base, rows: [{ lone: 'a\uD800b'.repeat(20) }] })).toBeUndefined();
    expect(writeSharedChange({ ...base, rows: [{ wide: Int16Array.of(1) as unknown as Uint8Array }] })).toBeUndefined();
    expect(writeSharedChange({ ...base, rows: [{ big: 1n << 64n }] })).toBeUndefined();
    expect(writeSharedChange({ ...base, seq: 1n << 63n })).toBeUndefined();
  });

  it('writes a large bigint repeated within and across changes as the codec does (seq = the row\'s _seq)', () => {
    for (const seq of [7341234567890123456n, 7341234567890123457n, (1n << 63n) - 1n]) {
      for (const other of [-(1n << 63n), -5n, seq, (1n << 64n) - 1n]) {
        const s: SharedChange = { type: 'change', change_type: 'update', rows: [{ _seq: seq, id: other, again: seq }], old_values: [{ _seq: other }], seq };
        expect(Buffer.from(writeSharedChange(s)!.tail).equals(codecTail(s))).toBe(true);
      }
    }
  });

  it('grows its scratch space for a change larger than it', () => {
    const s: SharedChange = { type: 'change', change_type: 'insert', rows: [{ body: 'é'.repeat(300_000), n: 1 }], seq: 9n };
    expect(Buffer.from(writeSharedChange(s)!.tail).equals(codecTail(s))).toBe(true);
  });

  it('is not used for a msgpack codec whose bytes differ', () => {
    const odd: Codec = { serialization: 'msgpack', encode: (m) => Uint8Array.of(...(msgpack.encode(m) as Uint8Array), 0), decode: msgpack.decode };
    expect(fastPathAgrees(odd)).toBe(false);
    const s: SharedChange = { type: 'change', change_type: 'insert', rows: [{ id: 1 }], seq: 3n };
    const encoded = encodeShared(odd, s);
    // cut from the odd codec's own output (its trailing byte included), not written directly
    expect(encoded.kind === 'msgpack' && Buffer.from(encoded.tail).equals(Buffer.concat([codecTail(s), Buffer.of(0)]))).toBe(true);
  });
});
