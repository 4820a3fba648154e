import fc from 'fast-check';
import { backoffCeiling, backoffDelay, reconnectDelay, resolveReconnectOptions } from '../../src/connection/backoff.js';
import { refreshDelayMs } from '../../src/connection/connectionMachine.js';

test('defaults: base 500 ms, cap 20 s, quick first retry 100 ms, stable after 10 s', () => {
  const o = resolveReconnectOptions(undefined);
  expect([o.baseDelayMs, o.maxDelayMs, o.firstRetryMaxDelayMs, o.stableAfterMs]).toEqual([500, 20_000, 100, 10_000]);
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

test('reconnectDelay: quick only for attempt 0 after ready and a close that does not ask to spread out; never above the first backoff ceiling', () => {
  const o = resolveReconnectOptions({ random: () => 0.999999 });
  expect(reconnectDelay(0, true, 1006, o)).toBe(99);
  expect(reconnectDelay(0, true, undefined, o)).toBe(99);
  expect(reconnectDelay(0, true, 4006, o)).toBe(499);
  expect(reconnectDelay(0, false, 1006, o)).toBe(499);
  expect(reconnectDelay(1, true, 1006, o)).toBe(999);
  expect(reconnectDelay(0, true, 1006, resolveReconnectOptions({ random: () => 0.5, firstRetryMaxDelayMs: 0 }))).toBe(0);
  expect(reconnectDelay(0, true, 1006, resolveReconnectOptions({ random: () => 0.5, baseDelayMs: 40 }))).toBe(20);
});
