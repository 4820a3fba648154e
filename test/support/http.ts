/** HTTP helpers for the reference server: login, SQL, health — raw responses for bad-input tests. */

/** A decoded HTTP response. */
export interface HttpResult {
  readonly status: number;
  readonly body: unknown;
}

/** Shape of an error body (`{status:"error", error:{code, message}}`). */
export interface ErrorBody {
  readonly status: 'error';
  readonly error: { readonly code: string; readonly message: string };
}

/** One statement result of `/v1/api/sql`. */
export interface SqlResult {
  readonly columns: ReadonlyArray<{ readonly name: string }>;
  readonly rows: ReadonlyArray<Record<string, unknown>>;
  readonly row_count: number;
  readonly last_seq?: string;
}

/** POST raw bytes/text to a path and decode the JSON reply (or keep the text). */
export async function postRaw(baseUrl: string, path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<HttpResult> {
  const payload = typeof body === 'string' ? body : new Blob([Uint8Array.from(body)]);
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', body: payload, headers });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text: a non-JSON reply is itself a finding for the caller to assert on
  }
  return { status: response.status, body: parsed };
}

/** Log in and return the access token. */
export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const result = await postRaw(baseUrl, '/v1/api/auth/login', JSON.stringify({ username, password }), { 'content-type': 'application/json' });
  const body = result.body as { access_token?: unknown };
  if (result.status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`login ${username} failed: ${result.status} ${JSON.stringify(result.body)}`);
  }
  return body.access_token;
}

/** Run SQL and return the raw result (status + body), for asserting on errors. */
export function sqlRaw(baseUrl: string, token: string | undefined, sql: string, params?: readonly unknown[]): Promise<HttpResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return postRaw(baseUrl, '/v1/api/sql', JSON.stringify(params === undefined ? { sql } : { sql, params }), headers);
}

/** Run SQL; throw with the server's error when it fails. Returns one result per statement. */
export async function sql(baseUrl: string, token: string, statement: string, params?: readonly unknown[]): Promise<SqlResult[]> {
  const result = await sqlRaw(baseUrl, token, statement, params);
  const body = result.body as { status?: string; results?: SqlResult[] };
  if (result.status !== 200 || body.status !== 'success' || !Array.isArray(body.results)) {
    throw new Error(`SQL failed (${result.status}): ${statement.slice(0, 200)} → ${JSON.stringify(result.body)}`);
  }
  return body.results;
}

/** Rows of a single SELECT. */
export async function select(baseUrl: string, token: string, statement: string, params?: readonly unknown[]): Promise<ReadonlyArray<Record<string, unknown>>> {
  const [first] = await sql(baseUrl, token, statement, params);
  if (!first) throw new Error(`no result for ${statement}`);
  return first.rows;
}

/** True when `body` is a typed error body. */
export function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as { status?: unknown; error?: { code?: unknown; message?: unknown } };
  return b.status === 'error' && typeof b.error?.code === 'string' && typeof b.error.message === 'string';
}

/** GET /health. */
export async function health(baseUrl: string): Promise<HttpResult> {
  const response = await fetch(`${baseUrl}/health`);
  return { status: response.status, body: await response.json() };
}
