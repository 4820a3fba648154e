/**
 * A minimal `fetch` over `node:http`, for tests that run under jsdom (which has no `fetch`).
 * It satisfies kalam-link's `FetchLike`.
 */
import http from 'node:http';

/** The response subset kalam-link and the fixture read. */
export interface NodeFetchResponse {
  readonly status: number;
  readonly ok: boolean;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/** POST/GET with string bodies; honours `signal`. */
export function nodeFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {},
): Promise<NodeFetchResponse> {
  return new Promise((resolve, reject) => {
    if (init.signal?.aborted === true) {
      reject(init.signal.reason);
      return;
    }
    const request = http.request(url, { method: init.method ?? 'GET', headers: init.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, text: async () => body, json: async () => JSON.parse(body) as unknown });
      });
    });
    request.on('error', reject);
    init.signal?.addEventListener('abort', () => request.destroy(new Error('aborted')), { once: true });
    request.end(init.body);
  });
}
