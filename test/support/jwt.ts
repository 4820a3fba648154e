/** HS256 tokens signed by the tests themselves (forged, expired or short-lived), via node:crypto. */
import { createHmac } from 'node:crypto';

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** Sign `claims` with HS256 (or emit an unsigned `alg: none` token when `secret` is null). */
export function signJwt(claims: Record<string, unknown>, secret: string | null): string {
  const header = b64url(JSON.stringify({ alg: secret === null ? 'none' : 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  if (secret === null) return `${header}.${payload}.`;
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** A token for `user` with `role` that expires `ttlMs` from now (negative = already expired). */
export function tokenFor(user: string, role: string, secret: string | null, ttlMs: number): string {
  const now = Date.now();
  return signJwt({ sub: user, role, iat: Math.floor(now / 1000), exp: Math.floor((now + ttlMs) / 1000) }, secret);
}
