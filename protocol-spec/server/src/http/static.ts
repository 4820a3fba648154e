/**
 * Static files for `startServer({ staticDir })` (the example app on the API's port): GET/HEAD
 * only, never outside the directory (also through symlinks), `index.html` for `/` and for
 * unknown page routes (SPA fallback). `/v1/*` and `/health` are never shadowed.
 */
import { createReadStream, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

/** Claims a request (returns true and answers it) or leaves it to the API (returns false). */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** The content type of a file name (`application/octet-stream` when unknown). */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Paths the API owns: the static handler never answers them. */
function isApiPath(urlPath: string): boolean {
  return urlPath === '/health' || urlPath === '/v1' || urlPath.startsWith('/v1/');
}

/** Serve `root` (see the module comment). */
export function createStaticHandler(root: string): StaticHandler {
  const rootPath = path.resolve(root);
  let realRoot: Promise<string> | undefined;
  return (req, res) => {
    const urlPath = (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/';
    if (isApiPath(urlPath) || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    realRoot ??= realpath(rootPath).catch(() => rootPath);
    void realRoot
      .then((base) => serve(base, urlPath, req, res))
      .catch(() => {
        if (!res.headersSent) sendText(res, req, 500, 'internal error');
        else res.destroy();
      });
    return true;
  };
}

async function serve(base: string, urlPath: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    sendText(res, req, 400, 'bad request path');
    return;
  }
  // Dot segments and hidden files are refused outright instead of being normalised away.
  const segments = decoded.split(/[/\\]/).filter((s) => s !== '');
  if (decoded.includes('\0') || segments.some((s) => s.startsWith('.'))) {
    sendText(res, req, 404, 'not found');
    return;
  }
  const file = await existingFile(base, segments);
  if (file !== undefined) {
    sendFile(res, req, file.path, file.stats, segments[0] === 'assets');
    return;
  }
  // Unknown page routes get the app (client-side routing); a missing asset stays a 404.
  const last = segments[segments.length - 1] ?? '';
  const index = await existingFile(base, ['index.html']);
  if (path.extname(last) === '' && index !== undefined) sendFile(res, req, index.path, index.stats, false);
  else sendText(res, req, 404, 'not found');
}

/** The regular file at `segments` under `base` (a directory's `index.html`), inside `base` after symlinks. */
async function existingFile(base: string, segments: readonly string[]): Promise<{ path: string; stats: Stats } | undefined> {
  let candidate = path.join(base, ...segments);
  try {
    let stats = await stat(candidate);
    if (stats.isDirectory()) {
      candidate = path.join(candidate, 'index.html');
      stats = await stat(candidate);
    }
    if (!stats.isFile()) return undefined;
    const real = await realpath(candidate);
    if (real !== base && !real.startsWith(base + path.sep)) return undefined;
    return { path: real, stats };
  } catch {
    return undefined;
  }
}

function sendFile(res: ServerResponse, req: IncomingMessage, file: string, stats: Stats, immutable: boolean): void {
  res.writeHead(200, {
    'content-type': contentTypeOf(file),
    'content-length': stats.size,
    'last-modified': stats.mtime.toUTCString(),
    // Vite puts content-hashed names under assets/; everything else (index.html) must revalidate.
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function sendText(res: ServerResponse, req: IncomingMessage, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'x-content-type-options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : text);
}
