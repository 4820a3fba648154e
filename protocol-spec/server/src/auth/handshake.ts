/**
 * What an `authenticate` message leads to (PROTOCOL.md §6.1, §6.2): the token and user checks,
 * the same-user rule for in-band re-authentication, the per-user connection limit, and the
 * `auth_success` / `auth_error` frames with their compat-mode shapes. The session holds the
 * connection state and acts on the outcome (session.ts).
 */
import { CloseCode, KalamError, type ErrorCodeValue, type ProtocolOptions, type ServerMessage } from '@kalam/link/protocol';
import type { Principal } from '../engine/types.js';
import type { Runtime } from '../runtime.js';
import { userForClaims, type TokenClaims } from './jwt.js';

/** A refused `authenticate`: send `auth_error {code, message}`, then close with `closeCode`. */
export interface AuthRefusal {
  readonly ok: false;
  readonly code: ErrorCodeValue;
  readonly message: string;
  readonly closeCode: number;
  /** Close reason when it differs from `message`. */
  readonly closeReason?: string;
}

/** An accepted `authenticate`. */
export interface AuthAcceptance {
  readonly ok: true;
  readonly principal: Principal;
  /** Token expiry, ms since the epoch; `undefined` = never. */
  readonly expiresAtMs: number | undefined;
}

/** Verify the token's signature and expiry (the only asynchronous step). */
export async function verifyToken(rt: Runtime, token: string): Promise<{ readonly ok: true; readonly claims: TokenClaims } | AuthRefusal> {
  try {
    return { ok: true, claims: await rt.tokens.verify(token) };
  } catch (e) {
    return KalamError.is(e, 'AUTH_EXPIRED')
      ? refusal(rt, 'AUTH_EXPIRED', 'token expired', CloseCode.AUTH_EXPIRED)
      : refusal(rt, 'AUTH_FAILED', 'invalid token', CloseCode.AUTH_FAILED);
  }
}

/**
 * Admit verified claims, synchronously (so the connection limit is checked in the same tick the
 * session registers). `current` is the session's principal for an in-band re-authentication.
 */
export function admit(rt: Runtime, claims: TokenClaims, current: Principal | undefined): AuthAcceptance | AuthRefusal {
  let user;
  try {
    user = userForClaims(rt.engine, claims);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return KalamError.is(e, 'AUTH_REVOKED') ? refusal(rt, 'AUTH_REVOKED', message, CloseCode.AUTH_REVOKED) : refusal(rt, 'AUTH_FAILED', message, CloseCode.AUTH_FAILED);
  }
  if (claims.expiresAtMs !== undefined && claims.expiresAtMs <= Date.now()) return refusal(rt, 'AUTH_EXPIRED', 'token expired', CloseCode.AUTH_EXPIRED);
  if (current !== undefined) {
    if (user.name !== current.user) return refusal(rt, 'AUTH_FAILED', 'token names a different user', CloseCode.AUTH_FAILED);
  } else if (rt.registry.connectionCount(user.name) >= rt.config.limits.maxConnectionsPerUser) {
    // not an auth failure: KalamDB clients see the same 4009, only the code field is ours
    return { ok: false, code: 'CONNECTION_LIMIT_EXCEEDED', message: 'too many connections for this user', closeCode: CloseCode.TOO_MANY_CONNECTIONS, closeReason: 'too many connections' };
  }
  return { ok: true, principal: { user: user.name, role: user.role }, expiresAtMs: claims.expiresAtMs };
}

/** `auth_success`, with the extensions `connection_id` and `expires_at` unless in compat mode. */
export function authSuccess(compat: boolean, principal: Principal, protocol: ProtocolOptions, connectionId: string, expiresAtMs: number | undefined): ServerMessage {
  return {
    type: 'auth_success',
    user: principal.user,
    role: principal.role,
    protocol,
    ...(compat ? {} : { connection_id: connectionId, ...(expiresAtMs === undefined ? {} : { expires_at: expiresAtMs }) }),
  };
}

/** `auth_error`, with the extension `code` unless in compat mode. */
export function authError(compat: boolean, code: ErrorCodeValue, message: string): ServerMessage {
  return { type: 'auth_error', message, ...(compat ? {} : { code }) };
}

/** Authentication failures close with 1008 in compat mode (KalamDB), else with their own code. */
function refusal(rt: Runtime, code: ErrorCodeValue, message: string, closeCode: number): AuthRefusal {
  return { ok: false, code, message, closeCode: rt.config.compat ? CloseCode.POLICY_VIOLATION : closeCode };
}
