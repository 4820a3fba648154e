/**
 * HTTP endpoints: `POST /v1/api/auth/login`, `POST /v1/api/sql`, `GET /health`
 * (PROTOCOL.md §Endpoints). Passwords are never logged or echoed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KalamError, PROTOCOL_VERSION, type ParamValue } from '@kalam/link/protocol';
import type { Principal } from '../engine/types.js';
import { userForClaims } from '../auth/jwt.js';
import type { Runtime } from '../runtime.js';
import { basicCredentials, bearerToken, parseJsonObject, readBody, sendError, sendJson } from './respond.js';

/** Server version reported by `/health`. */
export const SERVER_VERSION = '0.1.0';

/** Handle one HTTP request. */
export async function handleHttp(rt: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (cors(rt, req, res)) return;
  try {
    if (path === '/health' && req.method === 'GET') {
      sendJson(res, 200, { status: 'ok', version: SERVER_VERSION, protocol: PROTOCOL_VERSION });
    } else if (path === '/v1/api/auth/login' && req.method === 'POST') {
      await login(rt, req, res);
    } else if (path === '/v1/api/sql' && req.method === 'POST') {
      await sql(rt, req, res);
    } else if (path === '/health' || path === '/v1/api/auth/login' || path === '/v1/api/sql') {
      res.setHeader('allow', path === '/health' ? 'GET' : 'POST');
      sendJson(res, 405, { status: 'error', error: { code: 'INVALID_ARGUMENT', message: `method ${req.method ?? ''} not allowed` } });
    } else {
      sendJson(res, 404, { status: 'error', error: { code: 'NOT_FOUND', message: `no route ${path ?? ''}` } });
    }
  } catch (e) {
    if (!KalamError.is(e)) rt.config.log(`http ${path ?? ''}: ${e instanceof Error ? e.message : String(e)}`);
    if (!res.headersSent) sendError(res, e);
    else res.destroy();
  }
}

async function login(rt: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parseJsonObject(await readBody(req, rt.config.limits.maxFrameBytes));
  const basic = basicCredentials(req);
  const username = typeof body['username'] === 'string' ? body['username'] : basic?.username;
  const password = typeof body['password'] === 'string' ? body['password'] : basic?.password;
  if (username === undefined || password === undefined) throw new KalamError('AUTH_FAILED', 'username and password required');
  const principal = await rt.engine.verifyPassword(username, password);
  if (principal === null) throw new KalamError('AUTH_FAILED', 'invalid username or password');
  const { token, expiresAtMs } = await rt.tokens.issue(principal.user, principal.role);
  sendJson(res, 200, {
    access_token: token,
    token_type: 'Bearer',
    expires_at: new Date(expiresAtMs).toISOString(),
    expires_at_ms: expiresAtMs,
    user: principal.user,
    role: principal.role,
  });
}

/** The principal of a request: `Authorization: Bearer <jwt>` (PROTOCOL.md §2.3). */
export async function authenticateRequest(rt: Runtime, req: IncomingMessage): Promise<Principal> {
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) {
    if (req.headers.authorization === undefined) throw new KalamError('AUTH_REQUIRED', 'Authorization: Bearer <token> required');
    throw new KalamError('AUTH_FAILED', 'unusable credentials: Authorization: Bearer <token> required');
  }
  const user = userForClaims(rt.engine, await rt.tokens.verify(token));
  return { user: user.name, role: user.role };
}

async function sql(rt: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const principal = await authenticateRequest(rt, req);
  const body = parseJsonObject(await readBody(req, rt.config.limits.maxFrameBytes));
  const text = body['sql'];
  if (typeof text !== 'string' || text.trim() === '') throw new KalamError('INVALID_ARGUMENT', '"sql" must be a non-empty string');
  const params = body['params'] ?? [];
  if (!Array.isArray(params)) throw new KalamError('INVALID_ARGUMENT', '"params" must be an array');
  const results = await rt.engine.execute(text, params as ParamValue[], principal);
  // Let the commit's fan-out (sockets corked until the end of this tick) reach the subscribers
  // first: the writer's acknowledgement is not on anyone's live path, the change frames are.
  await new Promise<void>((resolve) => setImmediate(resolve));
  sendJson(res, 200, {
    status: 'success',
    results: results.map((r) => ({
      columns: r.columns,
      rows: r.rows,
      row_count: r.rowCount,
      ...(r.lastSeq === undefined ? {} : { last_seq: r.lastSeq.toString(10) }),
    })),
  });
}

/**
 * CORS for browser apps on another origin: allowed origins (any when no allow-list is set) are
 * reflected; preflights are answered here. Returns true when the request was a preflight.
 */
function cors(rt: Runtime, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  const allowed = origin !== undefined && (rt.config.allowedOrigins.size === 0 || rt.config.allowedOrigins.has(origin));
  if (allowed) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'origin');
  }
  if (req.method !== 'OPTIONS') return false;
  if (allowed) {
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'authorization, content-type');
    res.setHeader('access-control-max-age', '600');
  }
  res.writeHead(allowed ? 204 : 403);
  res.end();
  return true;
}
