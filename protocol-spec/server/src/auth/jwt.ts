/**
 * HS256 JWTs: `sub` (user name), `role`, `iat`, `exp` (seconds). Issued by login; accepted from
 * any issuer holding the secret (PROTOCOL.md §Tokens).
 */
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { KalamError } from '@kalam/link/protocol';
import type { UserInfo } from '../engine/types.js';

/** Verified claims of a token. */
export interface TokenClaims {
  /** User name. */
  readonly sub: string;
  /** Role claimed by the token (the user record's role wins). */
  readonly role: string | undefined;
  /** Expiry in ms since the epoch; `undefined` when the token has no `exp`. */
  readonly expiresAtMs: number | undefined;
  /** Issue time in ms since the epoch (`iat`); 0 when absent. */
  readonly issuedAtMs: number;
}

/** A freshly signed token. */
export interface IssuedToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

/** Signs and verifies HS256 tokens with one secret. */
export class TokenService {
  readonly #key: Uint8Array;
  readonly #ttlSeconds: number;

  constructor(secret: string, ttlSeconds: number) {
    this.#key = new TextEncoder().encode(secret);
    this.#ttlSeconds = ttlSeconds;
  }

  /** Sign a token for `user` with `role`, valid for the configured lifetime. */
  async issue(user: string, role: string, ttlSeconds: number = this.#ttlSeconds): Promise<IssuedToken> {
    const nowS = Math.floor(Date.now() / 1000);
    const exp = nowS + ttlSeconds;
    const token = await new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user)
      .setIssuedAt(nowS)
      .setExpirationTime(exp)
      .sign(this.#key);
    return { token, expiresAtMs: exp * 1000 };
  }

  /** Verify signature and expiry. Throws `KalamError` `AUTH_EXPIRED` or `AUTH_FAILED`. */
  async verify(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#key, { algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new KalamError('AUTH_FAILED', 'token has no subject');
      return {
        sub: payload.sub,
        role: typeof payload['role'] === 'string' ? payload['role'] : undefined,
        expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
        issuedAtMs: typeof payload.iat === 'number' ? payload.iat * 1000 : 0,
      };
    } catch (e) {
      if (e instanceof KalamError) throw e;
      if (e instanceof joseErrors.JWTExpired) throw new KalamError('AUTH_EXPIRED', 'token expired');
      throw new KalamError('AUTH_FAILED', 'invalid token');
    }
  }
}

/** The user a verified token names, if it may still act: exists, enabled, and not re-created after the token was issued. */
export function userForClaims(users: { getUser(name: string): UserInfo | undefined }, claims: TokenClaims): UserInfo {
  const user = users.getUser(claims.sub);
  if (user === undefined) throw new KalamError('AUTH_FAILED', 'invalid credentials');
  if (claims.issuedAtMs < Math.floor(user.createdAt / 1000) * 1000) throw new KalamError('AUTH_FAILED', 'token issued before this user was created');
  if (!user.enabled) throw new KalamError('AUTH_REVOKED', 'user disabled');
  return user;
}
