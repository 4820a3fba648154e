/**
 * WebSocket limits and bad credentials at the server's default settings: the rate limit answers
 * with typed `RATE_LIMIT_EXCEEDED` errors and keeps the connection; bad tokens get `auth_error`
 * and an auth close code.
 */
import { msgpack, openRaw, type RawClient } from '../support/rawClient.js';
import { tokenFor } from '../support/jwt.js';
import { JWT_SECRET, startTestServer, type TestServer } from '../support/server.js';

describe('WebSocket limits and credentials (default limits)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.close();
  });

  test('a burst over 4000 frames gets typed RATE_LIMIT_EXCEEDED errors, the frames are ignored, the connection stays open', async () => {
    const client = await openRaw(server.url, { token: server.adminToken, serialization: 'msgpack' });
    try {
      const ping = msgpack({ type: 'ping' });
      const sent = 6000;
      for (let i = 0; i < sent; i++) client.sendRaw(ping);
      const deadline = Date.now() + 10_000;
      while (client.frames.length < sent && Date.now() < deadline) await client.changed(deadline - Date.now());
      const pongs = client.frames.filter((f) => f.type === 'pong').length;
      const limited = client.frames.filter((f) => f.type === 'error' && f.code === 'RATE_LIMIT_EXCEEDED');
      expect(limited.length).toBeGreaterThan(0);
      expect(pongs).toBeGreaterThanOrEqual(4000);
      expect(pongs + limited.length).toBe(sent);
      for (const error of limited) expect(typeof error.message).toBe('string');
      expect(client.isOpen).toBe(true);
      // Tokens refill: after a short pause the connection works again.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const marker = client.frames.length;
      client.sendRaw(ping);
      await client.waitFor((f) => f.type === 'pong', 3000, marker);
    } finally {
      await client.terminate();
    }
  });

  test.each<[string, () => string, number[]]>([
    ['garbage token', () => 'garbage', [4001]],
    ['token signed with another secret', () => tokenFor('admin', 'dba', 'wrong-secret', 60_000), [4001]],
    ['alg:none token', () => tokenFor('admin', 'dba', null, 60_000), [4001]],
    ['expired token', () => tokenFor('admin', 'dba', JWT_SECRET, -60_000), [4001, 4002]],
    ['token for an unknown user', () => tokenFor('ghost', 'dba', JWT_SECRET, 60_000), [4001]],
  ])('authenticate with a %s → auth_error and an auth close', async (_name, token, codes) => {
    const client: RawClient = await openRaw(server.url);
    try {
      client.sendRaw(JSON.stringify({ type: 'authenticate', method: 'jwt', token: token() }));
      const reply = await client.waitFor((f) => f.type === 'auth_error' || f.type === 'auth_success');
      expect(reply.type).toBe('auth_error');
      expect(typeof reply.message).toBe('string');
      expect(codes).toContain((await client.closed).code);
    } finally {
      await client.terminate();
    }
  });
});
