/**
 * Credentials: how kalam-link obtains the JWT it authenticates with.
 */
import type { FetchLike } from './http.js';
import { login } from './http.js';
import { jwtExpiresAtMs } from './internal/jwt.js';

/** A token and, when known, its expiry (ms since the Unix epoch). */
export interface TokenInfo {
  /** The JWT. */
  readonly token: string;
  /** Expiry in ms since the Unix epoch; absent when unknown or never. */
  readonly expiresAt?: number;
}

/** What a provider gets when asked for a token. */
export interface AuthContext {
  /** The link's HTTP base URL. */
  readonly baseUrl: string;
  /** The link's `fetch` (use it so tests and custom transports apply). */
  readonly fetch: FetchLike;
  /** The previous token was rejected or is about to expire: do not return a cached one. */
  readonly forceRefresh: boolean;
  /** Current time (ms since the Unix epoch), from the link's clock. */
  readonly now: number;
  /** Aborts the request when the link no longer needs the token. */
  readonly signal?: AbortSignal;
}

/** Source of JWTs. Create one with {@link Auth}. */
export interface AuthProvider {
  /** Which {@link Auth} factory made it. */
  readonly kind: 'basic' | 'jwt' | 'provider';
  /** True when it can mint a new token (in-band refresh before expiry is scheduled only then). */
  readonly refreshable: boolean;
  /** A token to authenticate with; rejects with a {@link KalamError} (`AUTH_FAILED` stops the link). */
  getToken(context: AuthContext): Promise<TokenInfo>;
}

/** What an {@link Auth.provider} function may return: the JWT, or the JWT and its expiry. */
export type ProvidedToken =
  | string
  | {
      /** The JWT. */
      readonly token: string;
      /** Expiry in ms since the Unix epoch. @default the JWT's `exp` claim */
      readonly expiresAt?: number;
    };

/**
 * Factories for {@link AuthProvider}s: pass one as the link's `auth` option.
 *
 * @example
 * ```ts
 * createLink({ url: 'http://localhost:8080', auth: Auth.basic('alice', 'alice-password') });
 * createLink({ url: 'http://localhost:8080', auth: Auth.jwt(savedToken) });
 * createLink({ url: 'http://localhost:8080', auth: Auth.provider(() => myBackend.kalamToken()) });
 * ```
 */
export const Auth = {
  /**
   * User name and password: logs in with `POST /v1/api/auth/login` and caches the JWT until it
   * is close to expiry or rejected.
   *
   * @example
   * ```ts
   * const link = createLink({ url: 'http://localhost:8080', auth: Auth.basic('alice', 'alice-password') });
   * ```
   */
  basic(username: string, password: string): AuthProvider {
    let cached: TokenInfo | undefined;
    return {
      kind: 'basic',
      refreshable: true,
      async getToken(context) {
        const fresh = cached !== undefined && (cached.expiresAt === undefined || cached.expiresAt - context.now > 30_000);
        if (fresh && !context.forceRefresh && cached !== undefined) return cached;
        const result = await login(context.fetch, context.baseUrl, username, password, context.signal);
        const info: TokenInfo = result.expiresAt === undefined ? { token: result.token } : { token: result.token, expiresAt: result.expiresAt };
        cached = info;
        return info;
      },
    };
  },

  /**
   * A fixed JWT. It cannot be refreshed: when it expires, the link stops with `auth_failed`.
   *
   * @example
   * ```ts
   * const link = createLink({ url: 'http://localhost:8080', auth: Auth.jwt(token) });
   * ```
   */
  jwt(token: string): AuthProvider {
    const expiresAt = jwtExpiresAtMs(token);
    const info: TokenInfo = expiresAt === undefined ? { token } : { token, expiresAt };
    return { kind: 'jwt', refreshable: false, getToken: () => Promise.resolve(info) };
  },

  /**
   * Your own token source, asked on every (re)connect and before expiry. Return the JWT, or
   * `{ token, expiresAt }`; without `expiresAt` the JWT's `exp` claim is used.
   *
   * @example
   * ```ts
   * const auth = Auth.provider(async ({ forceRefresh }) => {
   *   const res = await fetch(`/api/kalam-token${forceRefresh ? '?fresh=1' : ''}`);
   *   return res.text();
   * });
   * ```
   */
  provider(fetchToken: (context: AuthContext) => Promise<ProvidedToken> | ProvidedToken): AuthProvider {
    return {
      kind: 'provider',
      refreshable: true,
      async getToken(context) {
        const provided = await fetchToken(context);
        const token = typeof provided === 'string' ? provided : provided.token;
        const expiresAt = typeof provided === 'string' ? jwtExpiresAtMs(token) : (provided.expiresAt ?? jwtExpiresAtMs(token));
        return expiresAt === undefined ? { token } : { token, expiresAt };
      },
    };
  },
} as const;
