import fc from 'fast-check';
import {
  compareSeqId,
  createJsonCodec,
  createMsgpackCodec,
  decodeFrame,
  encodeJson,
  encodeMsgpack,
  formatSeqId,
  KalamError,
  makeSeqId,
  maxSeqId,
  parseSeqId,
  SEQ_EPOCH_MS,
  SEQ_MAX,
  seqIdSequence,
  seqIdTimestampMs,
  seqIdWorker,
  validateMessage,
} from '../../src/protocol/index.js';
import { jsonView, message, seqId } from './arbitraries.js';
import { SAMPLE_MESSAGES } from './fixtures.js';

const json = createJsonCodec();
const msgpack = createMsgpackCodec();
const SEED = 20260101;

describe('codec round trips (property)', () => {
  it('msgpack: decode(encode(m)) = m', () => {
    fc.assert(fc.property(message, (m) => {
      expect(msgpack.decode(msgpack.encode(m))).toEqual(m);
    }), { seed: SEED, numRuns: 400 });
  });

  it('JSON: decode(encode(m)) = m, with 64-bit cells as strings and bytes as arrays', () => {
    fc.assert(fc.property(message, (m) => {
      expect(json.decode(json.encode(m))).toEqual(jsonView(m));
    }), { seed: SEED, numRuns: 400 });
  });

  it('the canonical msgpack encoding is a fixed point of decode ∘ encode', () => {
    fc.assert(fc.property(message, (m) => {
      const bytes = encodeMsgpack(validateMessage(m));
      expect(encodeMsgpack(msgpack.decode(bytes))).toEqual(bytes);
      const text = encodeJson(validateMessage(m));
      expect(encodeJson(json.decode(text))).toBe(text);
    }), { seed: SEED, numRuns: 200 });
  });

  it('validateMessage accepts every generated message unchanged', () => {
    fc.assert(fc.property(message, (m) => {
      expect(validateMessage(m)).toEqual(m);
    }), { seed: SEED, numRuns: 200 });
  });
});

describe('SeqId (property)', () => {
  it('parse(format(s)) = s, and the decimal and number forms agree', () => {
    fc.assert(fc.property(seqId, (s) => {
      expect(parseSeqId(formatSeqId(s))).toBe(s);
      expect(parseSeqId(s)).toBe(s);
      if (s <= BigInt(Number.MAX_SAFE_INTEGER)) expect(parseSeqId(Number(s))).toBe(s);
    }), { seed: SEED, numRuns: 1000 });
  });

  it('compare is a total order consistent with bigint order and with the decimal strings', () => {
    fc.assert(fc.property(seqId, seqId, seqId, (a, b, c) => {
      expect(Math.sign(compareSeqId(a, b))).toBe(a < b ? -1 : a > b ? 1 : 0);
      expect(compareSeqId(a, b) + compareSeqId(b, a)).toBe(0);
      if (compareSeqId(a, b) <= 0 && compareSeqId(b, c) <= 0) expect(compareSeqId(a, c)).toBeLessThanOrEqual(0);
      expect(maxSeqId(a, b)).toBe(a > b ? a : b);
      const [fa, fb] = [formatSeqId(a), formatSeqId(b)];
      const byString = fa.length !== fb.length ? fa.length - fb.length : fa < fb ? -1 : fa > fb ? 1 : 0;
      expect(Math.sign(byString)).toBe(Math.sign(compareSeqId(a, b)));
    }), { seed: SEED, numRuns: 1000 });
  });

  it('survives both codecs exactly in every SeqId field', () => {
    fc.assert(fc.property(seqId, seqId, (s, p) => {
      const m = { type: 'change' as const, subscription_id: 's', change_type: 'insert' as const, rows: [{ _seq: s }], seq: s, prev_seq: p };
      expect(msgpack.decode(msgpack.encode(m))).toEqual(m);
      expect(json.decode(json.encode(m))).toEqual(m);
    }), { seed: SEED, numRuns: 500 });
  });

  it('makeSeqId and the part extractors invert each other, and ordering follows time', () => {
    const ts = fc.integer({ min: SEQ_EPOCH_MS, max: SEQ_EPOCH_MS + 2 ** 41 - 1 });
    const worker = fc.integer({ min: 0, max: 1023 });
    const sequence = fc.integer({ min: 0, max: 4095 });
    fc.assert(fc.property(ts, worker, sequence, ts, (t, w, q, t2) => {
      const s = makeSeqId(t, w, q);
      expect(s >= 0n && s <= SEQ_MAX).toBe(true);
      expect([seqIdTimestampMs(s), seqIdWorker(s), seqIdSequence(s)]).toEqual([t, w, q]);
      if (t2 > t) expect(compareSeqId(makeSeqId(t2, 0, 0), s)).toBe(1);
    }), { seed: SEED, numRuns: 1000 });
    expect(makeSeqId(SEQ_EPOCH_MS + 2 ** 41 - 1, 1023, 4095)).toBe(SEQ_MAX);
    expect(() => makeSeqId(SEQ_EPOCH_MS + 2 ** 41, 0, 0)).toThrow(KalamError);
  });

  it('rejects everything outside 0..2^63-1 with PROTOCOL', () => {
    const outside = fc.oneof(fc.bigInt(SEQ_MAX + 1n, (1n << 80n)), fc.bigInt(-(1n << 80n), -1n));
    fc.assert(fc.property(outside, (b) => {
      for (const v of [b, formatSeqId(b)]) expect(() => parseSeqId(v)).toThrow(KalamError);
    }), { seed: SEED, numRuns: 500 });
  });
});

/** Decodes and reports whether anything other than a PROTOCOL KalamError escaped. */
function decodesSafely(decode: () => unknown): boolean {
  try {
    decode();
    return true;
  } catch (e) {
    return e instanceof KalamError && e.code === 'PROTOCOL';
  }
}

describe('fuzzing: garbage never escapes as anything but KalamError(PROTOCOL)', () => {
  const validFrames = SAMPLE_MESSAGES.map((m) => encodeMsgpack(m));
  const validTexts = SAMPLE_MESSAGES.map((m) => encodeJson(m));

  it('10,000 seeded random and mutated byte strings', () => {
    const random = fc.uint8Array({ maxLength: 64 });
    const mutated = fc
      .tuple(fc.constantFrom(...validFrames), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete', 'truncate')), { minLength: 1, maxLength: 4 }))
      .map(([frame, edits]) => {
        let bytes = Array.from(frame);
        for (const [at, value, op] of edits) {
          const i = at % (bytes.length + 1);
          if (op === 'flip') bytes[i % Math.max(1, bytes.length)] = value;
          else if (op === 'insert') bytes.splice(i, 0, value);
          else if (op === 'delete') bytes.splice(i, 1);
          else bytes = bytes.slice(0, i);
        }
        return new Uint8Array(bytes);
      });
    // Plain boolean predicates: `expect` per run would dominate the runtime.
    fc.assert(fc.property(fc.oneof(random, mutated), (bytes) =>
      decodesSafely(() => msgpack.decode(bytes)) &&
      decodesSafely(() => json.decode(bytes)) &&
      decodesSafely(() => decodeFrame(bytes, 'msgpack', { inflate: () => bytes.subarray(2) })),
    ), { seed: SEED, numRuns: 10_000 });
  });

  it('5,000 seeded random and mutated strings', () => {
    // fc.string({ unit: 'binary' }) is slow to generate; code points (lone surrogates included) are cheap.
    const chars = (maxLength: number) => fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength }).map((cps) => String.fromCodePoint(...cps));
    const random = chars(64);
    const mutated = fc
      .tuple(fc.constantFrom(...validTexts), fc.nat(), fc.nat(), chars(4))
      .map(([text, a, b, insert]) => {
        const i = a % (text.length + 1);
        const j = Math.min(text.length, i + (b % 6));
        return text.slice(0, i) + insert + text.slice(j);
      });
    fc.assert(fc.property(fc.oneof(random, mutated), (text) => decodesSafely(() => json.decode(text)) && decodesSafely(() => msgpack.decode(text))), { seed: SEED, numRuns: 5_000 });
  });

  it('random JSON values in place of messages', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => decodesSafely(() => json.decode(JSON.stringify(v) ?? 'null'))), { seed: SEED, numRuns: 2_000 });
  });
});
