/** Mint an HS256 JWT the reference server accepts (sub, role, iat, exp) without a login round trip. */
import { createHmac } from 'node:crypto';

export function mintToken(secret, user, role = 'user', ttlSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: user, role, iat: now, exp: now + ttlSeconds })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}
