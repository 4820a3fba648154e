/**
 * A growable Bloom filter over byte strings. `mayContain(key) === false` is exact: the key was
 * never added. `true` may be a false positive (about 1% per layer), so a caller that needs the
 * truth then asks the store.
 */

const BITS_PER_KEY = 10;
const PROBES = 7;
const MIN_CAPACITY = 64;

interface Layer {
  readonly bits: Uint32Array;
  /** Bit count − 1 (a power of two minus one). */
  readonly mask: number;
  readonly capacity: number;
  count: number;
}

function layer(capacity: number): Layer {
  let size = 32;
  while (size < capacity * BITS_PER_KEY) size *= 2;
  return { bits: new Uint32Array(size / 32), mask: size - 1, capacity, count: 0 };
}

/** Two independent 32-bit hashes of `key` (FNV-1a and a multiplicative mix), for double hashing. */
function hashes(key: Uint8Array): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const b = key[i]!;
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  // An odd step visits distinct bits of the power-of-two table.
  return [h1 >>> 0, ((h2 ^ (h2 >>> 16)) | 1) >>> 0];
}

/** Bloom filter whose layers double in capacity as keys are added (no rehashing needed). */
export class KeyFilter {
  readonly #layers: Layer[];

  /** @param expected keys expected soon (sizes the first layer). @default 64 */
  constructor(expected = MIN_CAPACITY) {
    this.#layers = [layer(Math.max(MIN_CAPACITY, expected))];
  }

  /** Keys added so far (duplicates counted). */
  get size(): number {
    let n = 0;
    for (const l of this.#layers) n += l.count;
    return n;
  }

  add(key: Uint8Array): void {
    let last = this.#layers[this.#layers.length - 1]!;
    if (last.count >= last.capacity) {
      last = layer(last.capacity * 2);
      this.#layers.push(last);
    }
    last.count++;
    const [h1, h2] = hashes(key);
    for (let i = 0, h = h1; i < PROBES; i++, h = (h + h2) >>> 0) {
      const bit = h & last.mask;
      last.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  /** False only when `key` was never added. */
  mayContain(key: Uint8Array): boolean {
    const [h1, h2] = hashes(key);
    for (const l of this.#layers) {
      let all = true;
      for (let i = 0, h = h1; i < PROBES; i++, h = (h + h2) >>> 0) {
        const bit = h & l.mask;
        if ((l.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }
}
