import { fromPromise } from 'xstate';
import type { TokenInfo } from '../auth.js';
import { asKalamError, KalamError } from '../errors.js';
import type { ConnectionDeps } from './deps.js';

/** Input of the connection machine's token-fetch actor (`fetchToken`). */
export interface FetchTokenInput {
  /** The host (its `getToken` is called). */
  readonly deps: ConnectionDeps;
  /** Bypass cached tokens. */
  readonly forceRefresh: boolean;
}

/**
 * Asks the auth provider for a token. Any failure becomes a KalamError: credential rejections
 * keep their code (`AUTH_FAILED`, ...), anything else is `NETWORK` (retried with backoff).
 */
export const fetchTokenActor = fromPromise<TokenInfo, FetchTokenInput>(async ({ input }) => {
  try {
    const info = await input.deps.getToken(input.forceRefresh);
    if (typeof info.token !== 'string' || info.token.length === 0) throw new KalamError('AUTH_FAILED', 'auth provider returned an empty token');
    return info;
  } catch (error) {
    throw asKalamError(error, 'NETWORK', 'auth provider failed');
  }
});

/** Token errors after which retrying with the same credentials is pointless. */
export function isCredentialError(error: unknown): boolean {
  return error instanceof KalamError && (error.code === 'AUTH_FAILED' || error.code === 'AUTH_REVOKED' || error.code === 'UNAUTHORIZED');
}
