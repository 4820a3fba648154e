/** KeyFilter: never a false negative, across layer growth; few false positives. */
import fc from 'fast-check';
import { KeyFilter } from '../../server/src/store/keyFilter.js';

describe('KeyFilter', () => {
  test('every added key may be contained, whatever the keys and the first layer size', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 600 }), fc.integer({ min: 0, max: 200 }), (keys, expected) => {
        const f = new KeyFilter(expected);
        keys.forEach((k, i) => {
          f.add(k);
          // earlier keys stay visible while later layers are added
          for (let j = 0; j <= i; j += 7) expect(f.mayContain(keys[j]!)).toBe(true);
        });
        for (const k of keys) expect(f.mayContain(k)).toBe(true);
        expect(f.size).toBe(keys.length);
      }),
      { numRuns: 60 },
    );
  });

  test('an empty filter contains nothing', () => {
    const f = new KeyFilter();
    expect(f.mayContain(Buffer.from('a'))).toBe(false);
    expect(f.mayContain(Buffer.alloc(0))).toBe(false);
  });

  test('keys never added are mostly ruled out (grown from the smallest layer)', () => {
    const f = new KeyFilter();
    const key = (n: number) => {
      const b = Buffer.alloc(9);
      b[0] = 0x80;
      b.writeBigUInt64BE(BigInt(n), 1);
      return b;
    };
    for (let i = 0; i < 20_000; i++) f.add(key(i * 2));
    let positives = 0;
    for (let i = 0; i < 20_000; i++) if (f.mayContain(key(i * 2 + 1))) positives++;
    // ~1% per layer, 9 layers; a broken hash (e.g. ignoring bytes) would be near 100%.
    expect(positives / 20_000).toBeLessThan(0.05);
  });
});
