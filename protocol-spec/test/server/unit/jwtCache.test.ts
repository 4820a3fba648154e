/**
 * Verified-token cache (auth/jwt.ts): a token is verified once, its expiry is still enforced on
 * every use, forged or tampered tokens are never admitted, and user state is checked each time.
 */
import { SignJWT } from 'jose';
import { TokenService, userForClaims } from '../../../server/src/auth/jwt.js';
import type { UserInfo } from '../../../server/src/engine/types.js';

const SECRET = 'unit-secret-0123456789abcdef0123456789';

afterEach(() => jest.useRealTimers());

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

test('a verified token is answered from the cache until it expires, then AUTH_EXPIRED', async () => {
  jest.useFakeTimers({ now: Date.UTC(2026, 0, 1), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  const tokens = new TokenService(SECRET, 60);
  const { token, expiresAtMs } = await tokens.issue('alice', 'user');
  const first = await tokens.verify(token);
  expect(first).toMatchObject({ sub: 'alice', role: 'user', expiresAtMs });
  expect(await tokens.verify(token)).toBe(first); // the cached claims
  jest.setSystemTime(expiresAtMs - 1000);
  expect(await tokens.verify(token)).toBe(first);
  jest.setSystemTime(expiresAtMs);
  expect(await codeOf(tokens.verify(token))).toBe('AUTH_EXPIRED');
  expect(await codeOf(tokens.verify(token))).toBe('AUTH_EXPIRED');
});

test('tampered and foreign tokens fail every time, also after the genuine one was cached', async () => {
  const tokens = new TokenService(SECRET, 60);
  const { token } = await tokens.issue('alice', 'user');
  await tokens.verify(token);
  const [h, p, s] = token.split('.') as [string, string, string];
  const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', role: 'dba', exp: 4_000_000_000 })).toString('base64url')}.${s}`;
  const foreign = (await new TokenService('another-secret-0123456789abcdef012345', 60).issue('alice', 'user')).token;
  for (let i = 0; i < 2; i++) {
    expect(await codeOf(tokens.verify(forged))).toBe('AUTH_FAILED');
    expect(await codeOf(tokens.verify(foreign))).toBe('AUTH_FAILED');
    expect(await codeOf(tokens.verify(`${h}.${p}.${s.slice(0, -2)}AA`))).toBe('AUTH_FAILED');
  }
});

test('a not-yet-valid token (nbf) is re-verified on each use, never admitted early from the cache', async () => {
  const tokens = new TokenService(SECRET, 60);
  const nowS = Math.floor(Date.now() / 1000);
  const key = new TextEncoder().encode(SECRET);
  const early = await new SignJWT({ role: 'user' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuedAt(nowS).setNotBefore(nowS + 3600).setExpirationTime(nowS + 7200).sign(key);
  expect(await codeOf(tokens.verify(early))).toBe('AUTH_FAILED');
  expect(await codeOf(tokens.verify(early))).toBe('AUTH_FAILED');
});

test('cached claims still meet the user checks on each use: disable and drop take effect at once', async () => {
  const tokens = new TokenService(SECRET, 60);
  const { token } = await tokens.issue('alice', 'user');
  const users = new Map<string, UserInfo>([['alice', { name: 'alice', role: 'user', enabled: true, createdAt: 0 }]]);
  const lookup = { getUser: (n: string) => users.get(n) };
  expect(userForClaims(lookup, await tokens.verify(token)).name).toBe('alice');
  users.set('alice', { name: 'alice', role: 'user', enabled: false, createdAt: 0 });
  const claims = await tokens.verify(token);
  expect(() => userForClaims(lookup, claims)).toThrow(expect.objectContaining({ code: 'AUTH_REVOKED' }));
  users.delete('alice');
  expect(() => userForClaims(lookup, claims)).toThrow(expect.objectContaining({ code: 'AUTH_FAILED' }));
});
