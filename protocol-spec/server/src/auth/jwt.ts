/**
 * HS256 JWTs: `sub` (user name), `role`, `iat`, `exp` (seconds). Issued by login; accepted from
 * any issuer holding the secret (PROTOCOL.md §Tokens).
 */
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { KalamError } from '@kalam/link/protocol';
import type { UserInfo } from '../engine/types.js';
import { Lru } from '../sql/lru.js';

/** Verified tokens remembered (signature checks skipped on reuse; expiry and user state are checked on every use). */
const VERIFIED_CACHE_SIZE = 4096;
/** Tokens longer than this are verified every time instead of being remembered. */
const MAX_CACHED_TOKEN_CHARS = 4096;

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
  /** token → claims of a token whose signature verified (claims without `nbf`; `exp` re-checked on each hit). */
  readonly #verified = new Lru<string, { readonly claims: TokenClaims; readonly exp: number | undefined }>(VERIFIED_CACHE_SIZE);

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

  /**
   * Verify signature and expiry. Throws `KalamError` `AUTH_EXPIRED` or `AUTH_FAILED`. A token that
   * verified before is not re-verified (HMAC and claim parsing cost ~7% of an INSERT), only its
   * expiry is re-checked; who the token names is checked by the caller on every use
   * ({@link userForClaims}), so DROP USER / DISABLE still take effect at once.
   */
  async verify(token: string): Promise<TokenClaims> {
    const known = this.#verified.get(token);
    if (known !== undefined) {
      // jose's rule: expired once exp (seconds) <= now (whole seconds)
      if (known.exp !== undefined && known.exp <= Math.floor(Date.now() / 1000)) {
        this.#verified.delete(token);
        throw new KalamError('AUTH_EXPIRED', 'token expired');
      }
      return known.claims;
    }
    let claims: TokenClaims;
    let cacheable = false;
    let exp: number | undefined;
    try {
      const { payload } = await jwtVerify(token, this.#key, { algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new KalamError('AUTH_FAILED', 'token has no subject');
      cacheable = payload.nbf === undefined && token.length <= MAX_CACHED_TOKEN_CHARS;
      exp = payload.exp;
      claims = {
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
    if (cacheable) this.#verified.set(token, { claims, exp });
    return claims;
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
