import { TokenBucket } from '../../../server/src/live/rateLimit.js';
import { setDeadline } from '../../../server/src/auth/timers.js';
import { TokenService } from '../../../server/src/auth/jwt.js';
import { KalamError } from '@kalam/link/protocol';
import { SignJWT } from 'jose';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 100; // 1 token
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now += 10_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });
});

describe('setDeadline', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('fires at the absolute time, never synchronously', () => {
    const fn = jest.fn();
    setDeadline(Date.now() - 5, fn);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(0);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('chains waits longer than setTimeout can hold (~24.8 days)', () => {
    const fn = jest.fn();
    const sixtyDays = 60 * 24 * 3600 * 1000;
    setDeadline(Date.now() + sixtyDays, fn);
    jest.advanceTimersByTime(sixtyDays - 1);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('can be cancelled', () => {
    const fn = jest.fn();
    const cancel = setDeadline(Date.now() + 1000, fn);
    cancel();
    jest.advanceTimersByTime(2000);
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('TokenService', () => {
  const tokens = new TokenService('s3cret', 60);

  it('issues HS256 tokens with sub, role, iat, exp that verify', async () => {
    const { token, expiresAtMs } = await tokens.issue('alice', 'user');
    const claims = await tokens.verify(token);
    expect(claims).toEqual({ sub: 'alice', role: 'user', expiresAtMs, issuedAtMs: expiresAtMs - 60_000 });
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'role', 'sub']);
  });

  it('accepts a token minted elsewhere with the same secret', async () => {
    const token = await new SignJWT({ role: 'dba' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ops').setExpirationTime('5m').sign(new TextEncoder().encode('s3cret'));
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: 'ops', role: 'dba' });
  });

  it('refuses a wrong signature (AUTH_FAILED) and an expired token (AUTH_EXPIRED)', async () => {
    const other = await new TokenService('other', 60).issue('alice', 'user');
    await expect(tokens.verify(other.token)).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    const expired = await tokens.issue('alice', 'user', -10);
    const err = await tokens.verify(expired.token).catch((e: unknown) => e);
    expect(KalamError.is(err, 'AUTH_EXPIRED')).toBe(true);
    await expect(tokens.verify('not.a.jwt')).rejects.toMatchObject({ code: 'AUTH_FAILED' });
  });
});
