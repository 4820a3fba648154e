/**
 * The HTTP half of the protocol: login and SQL statements (PROTOCOL.md §HTTP).
 */
import { asKalamError, KalamError } from './errors.js';
import { bigintColumns, convertBigintCells } from './internal/bigintCells.js';
import type { ParamValue, Role, Row, SchemaField } from './protocol/messages.js';
import { parseSeqId, type SeqId } from './protocol/seqId.js';

/** The subset of `fetch` kalam-link needs (the platform `fetch` satisfies it). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{
  /** HTTP status code. */
  readonly status: number;
  /** True for a 2xx status. */
  readonly ok: boolean;
  /** The response body as text. */
  text(): Promise<string>;
}>;

/** One statement's result. 64-bit cells (`BigInt` columns, `_seq`) are `bigint`. */
export interface QueryResult {
  /** The result's columns (empty for statements without a result set). */
  readonly columns: readonly SchemaField[];
  /** Result rows. */
  readonly rows: readonly Row[];
  /** Rows returned, or rows affected by a write. */
  readonly rowCount: number;
  /** SeqId of the last change the statement committed (writes only). */
  readonly lastSeq?: SeqId;
}

/** A successful login. */
export interface LoginResult {
  /** The JWT (`access_token`). */
  readonly token: string;
  /** Token expiry, ms since the Unix epoch. */
  readonly expiresAt: number | undefined;
  /** The user name the server reports. */
  readonly user: string | undefined;
  /** The user's role. */
  readonly role: Role | undefined;
}

/** The platform `fetch`, or a function that fails with `NETWORK` when there is none. */
export function resolveFetch(injected: FetchLike | undefined): FetchLike {
  if (injected !== undefined) return injected;
  if (typeof globalThis.fetch === 'function') return (url, init) => globalThis.fetch(url, init);
  return () => Promise.reject(new KalamError('NETWORK', 'no fetch implementation available; pass options.fetch'));
}

/**
 * `POST /v1/api/auth/login`: exchange a user name and password for a JWT.
 *
 * @param fetchFn - `fetch` or a compatible function
 * @param baseUrl - the server's HTTP base URL
 * @throws KalamError `AUTH_FAILED` for wrong credentials, `NETWORK` when the request fails
 * @example
 * ```ts
 * const { token, expiresAt } = await login(fetch, 'http://localhost:8080', 'alice', 'alice-password');
 * ```
 */
export async function login(fetchFn: FetchLike, baseUrl: string, username: string, password: string, signal?: AbortSignal): Promise<LoginResult> {
  const body = await postJson(fetchFn, endpoint(baseUrl, '/v1/api/auth/login'), { username, password }, undefined, signal);
  if (!isRecord(body) || typeof body.access_token !== 'string') throw new KalamError('PROTOCOL', 'login response without access_token');
  return {
    token: body.access_token,
    expiresAt: typeof body.expires_at_ms === 'number' ? body.expires_at_ms : typeof body.expires_at === 'string' ? Date.parse(body.expires_at) || undefined : undefined,
    user: typeof body.user === 'string' ? body.user : undefined,
    role: typeof body.role === 'string' ? (body.role as Role) : undefined,
  };
}

/**
 * `POST /v1/api/sql`: one {@link QueryResult} per statement. Prefer {@link KalamLink.query},
 * which supplies the token and retries once with a fresh one.
 *
 * @param params - values for `$1..$n`
 * @throws KalamError with the server's code (`INVALID_SQL`, `UNAUTHORIZED`, …) or `NETWORK`
 * @example
 * ```ts
 * const [result] = await executeSql(fetch, 'http://localhost:8080', token, 'SELECT * FROM app.todos WHERE id = $1', [1]);
 * ```
 */
export async function executeSql(
  fetchFn: FetchLike,
  baseUrl: string,
  token: string,
  sql: string,
  params?: readonly ParamValue[],
  signal?: AbortSignal,
): Promise<QueryResult[]> {
  const request = params === undefined || params.length === 0 ? { sql } : { sql, params };
  const body = await postJson(fetchFn, endpoint(baseUrl, '/v1/api/sql'), request, token, signal);
  if (!isRecord(body) || !Array.isArray(body.results)) throw new KalamError('PROTOCOL', 'SQL response without results');
  return body.results.map((raw: unknown) => toQueryResult(raw));
}

function toQueryResult(raw: unknown): QueryResult {
  if (!isRecord(raw)) throw new KalamError('PROTOCOL', 'malformed SQL result');
  const columns = (Array.isArray(raw.columns) ? raw.columns : []) as SchemaField[];
  const rows = (Array.isArray(raw.rows) ? raw.rows : []) as Row[];
  const names = bigintColumns(columns);
  for (const row of rows) convertBigintCells(row, names);
  const result: { columns: SchemaField[]; rows: Row[]; rowCount: number; lastSeq?: SeqId } = {
    columns,
    rows,
    rowCount: typeof raw.row_count === 'number' ? raw.row_count : rows.length,
  };
  if (raw.last_seq !== undefined && raw.last_seq !== null) result.lastSeq = parseSeqId(raw.last_seq);
  return result;
}

async function postJson(fetchFn: FetchLike, url: string, payload: unknown, token: string | undefined, signal?: AbortSignal): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const init: Parameters<FetchLike>[1] = { method: 'POST', headers, body: JSON.stringify(payload, jsonReplacer) };
  if (signal !== undefined) init.signal = signal;
  let response: Awaited<ReturnType<FetchLike>>;
  let text: string;
  try {
    response = await fetchFn(url, init);
    text = await response.text();
  } catch (error) {
    if (signal?.aborted === true && !(error instanceof KalamError)) throw new KalamError('ABORTED', 'request aborted', { cause: error });
    throw asKalamError(error, 'NETWORK', `request to ${url} failed`);
  }
  let body: unknown;
  try {
    body = text.length === 0 ? undefined : JSON.parse(text);
  } catch (error) {
    throw new KalamError(response.ok ? 'PROTOCOL' : httpCode(response.status), `HTTP ${response.status}: ${text.slice(0, 200)}`, { cause: error });
  }
  if (!response.ok) {
    const err = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    const code = typeof err?.code === 'string' ? err.code : httpCode(response.status);
    const message = typeof err?.message === 'string' ? err.message : `HTTP ${response.status}`;
    throw new KalamError(code, message);
  }
  return body;
}

function httpCode(status: number): string {
  if (status === 401) return 'AUTH_FAILED';
  if (status === 403) return 'UNAUTHORIZED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 413) return 'MESSAGE_TOO_LARGE';
  if (status >= 400 && status < 500) return 'INVALID_ARGUMENT';
  return 'INTERNAL';
}

/** JSON wire form of params: bigint → decimal string, bytes → array of numbers. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString(10);
  if (value instanceof Uint8Array) return Array.from(value);
  return value;
}

function endpoint(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
