/** Minimal HTTP client for the reference server (login + SQL) over a keep-alive agent. */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** POST JSON; resolves `{status, body}` with the body parsed. */
export function postJson(url, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const req = http.request(new URL(path, url), {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed;
        try { parsed = JSON.parse(text); } catch { parsed = text; }
        resolve({ status: res.statusCode, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Log in; resolves the access token. */
export async function login(url, username, password) {
  const res = await postJson(url, '/v1/api/auth/login', { username, password });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}

/** Run SQL; resolves the results array, throws on an error status. */
export async function sql(url, token, text, params) {
  const res = await postJson(url, '/v1/api/sql', params ? { sql: text, params } : { sql: text }, { authorization: `Bearer ${token}` });
  if (res.status !== 200) throw new Error(`SQL failed (${res.status}): ${JSON.stringify(res.body)} for ${text.slice(0, 120)}`);
  return res.body.results;
}

/** Close idle keep-alive sockets (so the process can exit). */
export function closeAgent() {
  agent.destroy();
}
