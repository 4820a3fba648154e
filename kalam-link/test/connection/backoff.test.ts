import fc from 'fast-check';
import { backoffCeiling, backoffDelay, resolveReconnectOptions } from '../../src/connection/backoff.js';
import { refreshDelayMs } from '../../src/connection/connectionMachine.js';

test('defaults: base 500 ms, cap 20 s, stable after 10 s', () => {
  const o = resolveReconnectOptions(undefined);
  expect([o.baseDelayMs, o.maxDelayMs, o.stableAfterMs]).toEqual([500, 20_000, 10_000]);
  expect([0, 1, 2, 3, 4, 5, 6, 100].map((a) => backoffCeiling(a, o))).toEqual([500, 1000, 2000, 4000, 8000, 16000, 20000, 20000]);
});

test('full jitter: uniform in [0, ceiling) — random 0 gives 0, random → 1 approaches the ceiling', () => {
  expect(backoffDelay(3, resolveReconnectOptions({ random: () => 0 }))).toBe(0);
  expect(backoffDelay(3, resolveReconnectOptions({ random: () => 0.999999 }))).toBe(3999);
  expect(backoffDelay(0, resolveReconnectOptions({ random: () => 0.5 }))).toBe(250);
});

test('property: every delay is an integer in [0, min(cap, base·2^attempt)), even for bad random values', () => {
  fc.assert(
    fc.property(fc.nat({ max: 2000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 100_000 }), fc.double(), (attempt, base, cap, r) => {
      const o = resolveReconnectOptions({ baseDelayMs: base, maxDelayMs: cap, random: () => r });
      const d = backoffDelay(attempt, o);
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.max(1, Math.min(cap, base * 2 ** attempt)));
    }),
  );
});

test('in-band refresh: 20 % of the remaining lifetime early, at most 30 s early, never negative', () => {
  expect(refreshDelayMs(10_000, 0)).toBe(8_000);
  expect(refreshDelayMs(3_600_000, 0)).toBe(3_570_000);
  expect(refreshDelayMs(1_000, 2_000)).toBe(0);
});
