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

/**
 * Read a request body up to `maxBytes` (MESSAGE_TOO_LARGE beyond; the request is then destroyed,
 * as an abandoned read of it would be). Listens for `data`/`end` directly: a stream async
 * iterator costs more than the rest of the body handling of a small INSERT.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) return Promise.reject(new KalamError('MESSAGE_TOO_LARGE', `request body exceeds ${maxBytes} bytes`));
  if (req.destroyed) return Promise.reject(new Error('request closed before its body ended'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err: Error | undefined): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        settle(new KalamError('MESSAGE_TOO_LARGE', `request body exceeds ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle(undefined);
    const onError = (e: Error): void => settle(e);
    const onClose = (): void => settle(new Error('request closed before its body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
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
