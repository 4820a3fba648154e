/** JSON responses and request bodies for the HTTP API. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KalamError } from '@kalam/link/protocol';

/** HTTP status of an error code (PROTOCOL.md §HTTP). */
export function statusOf(code: string): number {
  switch (code) {
    case 'INVALID_SQL':
    case 'INVALID_ARGUMENT':
    case 'UNSUPPORTED':
    case 'PROTOCOL':
    case 'CONVERSION_ERROR':
      return 400;
    case 'AUTH_REQUIRED':
    case 'AUTH_FAILED':
    case 'AUTH_EXPIRED':
    case 'AUTH_REVOKED':
      return 401;
    case 'UNAUTHORIZED':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
      return 409;
    case 'MESSAGE_TOO_LARGE':
      return 413;
    default:
      return 500;
  }
}

/** Write a JSON body; `bigint` → decimal string, `Uint8Array` → array of byte numbers. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, function (this: unknown, key: string, value: unknown) {
    if (typeof value === 'bigint') return value.toString(10);
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof Uint8Array) return Array.from(raw);
    return value;
  });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Write `{status:"error", error:{code, message}}` with the code's HTTP status. */
export function sendError(res: ServerResponse, e: unknown): void {
  const err = KalamError.is(e) ? e : new KalamError('INTERNAL', 'internal error');
  sendJson(res, statusOf(err.code), { status: 'error', error: { code: err.code, message: err.message } });
}

/** Read a request body up to `maxBytes` (MESSAGE_TOO_LARGE beyond). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw new KalamError('MESSAGE_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new KalamError('MESSAGE_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Parse a JSON object body; INVALID_ARGUMENT when it is not one. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.byteLength === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new KalamError('INVALID_ARGUMENT', 'request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new KalamError('INVALID_ARGUMENT', 'request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** `Authorization: Basic` credentials, if present. */
export function basicCredentials(req: IncomingMessage): { username: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (h === undefined || !/^basic /i.test(h)) return undefined;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  if (at < 0) return undefined;
  return { username: decoded.slice(0, at), password: decoded.slice(at + 1) };
}

/** `Authorization: Bearer` token, if present. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || !/^bearer /i.test(header)) return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}
