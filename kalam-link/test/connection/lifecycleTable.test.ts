/**
 * protocol-spec/LIFECYCLE.md's transition table IS the machine: same rows, and every row is
 * driven here against a scripted socket and a manual clock.
 */
import { KalamError } from '../../src/errors.js';
import { flush } from '../support/manualClock.js';
import { credentialError, MachineHarness } from '../support/machineHarness.js';
import { firstRetryRows, machineEntries, machineRows, specRows, type TableRow } from '../support/machineTable.js';
import { SPREAD_OUT_CLOSE_CODES } from '../../src/connection/backoff.js';
import { readFileSync } from 'node:fs';
import { LIFECYCLE_PATH } from '../support/machineTable.js';

type Scenario = { readonly options?: ConstructorParameters<typeof MachineHarness>[0]; run(h: MachineHarness): Promise<void> };

const key = (r: Pick<TableRow, 'state' | 'event' | 'guard'>): string => `${r.state} | ${r.event} | ${r.guard}`;

const scenarios: Record<string, Scenario> = {
  'idle | CONNECT | —': {
    async run(h) {
      await h.toConnecting();
      expect(h.hub.sockets).toHaveLength(1);
      expect(h.tokenRequests).toHaveLength(1);
    },
  },
  'idle | DISCONNECT | —': {
    async run(h) {
      h.send({ type: 'DISCONNECT' });
      await flush();
      expect(h.hub.sockets).toHaveLength(0);
    },
  },
  'session | SOCKET_CLOSE | isKilled': {
    async run(h) {
      await h.toReady();
      h.socket.serverClose(4004, 'killed');
      await flush();
      expect(h.context.error?.code).toBe('KILLED');
      await h.clock.advance(60_000);
      expect(h.hub.sockets).toHaveLength(1);
    },
  },
  'session | SOCKET_CLOSE | isRevoked': {
    async run(h) {
      await h.toReady();
      h.socket.serverClose(4003);
      await flush();
      expect(h.context.error?.code).toBe('AUTH_REVOKED');
      await h.clock.advance(60_000);
      expect(h.hub.sockets).toHaveLength(1);
    },
  },
  'session | SOCKET_CLOSE | isStop': {
    async run(h) {
      await h.toReady();
      h.socket.serverClose(4007, 'bad frame');
      await flush();
      expect(h.context.lastClose).toEqual({ code: 4007, reason: 'bad frame', action: 'stop' });
      expect(h.context.error?.code).toBe('PROTOCOL');
    },
  },
  'session | SOCKET_CLOSE | isAuthRejectedAgain': {
    async run(h) {
      await h.toTerminal(4001);
      expect(h.hub.sockets).toHaveLength(2);
      expect(h.tokenRequests.map((r) => r.forceRefresh)).toEqual([false, true]);
      expect(h.context.error?.code).toBe('AUTH_FAILED');
    },
  },
  'session | SOCKET_CLOSE | isRefreshNow': {
    async run(h) {
      await h.toReady();
      h.socket.serverClose(4002, 'token expired');
      await flush();
      // A new socket at once, no backoff wait, with a token fetched bypassing caches.
      expect(h.hub.sockets).toHaveLength(2);
      expect(h.tokenRequests.at(-1)?.forceRefresh).toBe(true);
      expect(h.context.authRetried).toBe(true);
      expect(h.matches('session.connecting')).toBe(true);
    },
  },
  'session | SOCKET_CLOSE | —': {
    async run(h) {
      await h.toReady();
      h.socket.serverClose(1006);
      await flush();
      expect(h.context.lastClose?.action).toBe('reconnect');
      expect(h.context.attempt).toBe(1);
    },
  },
  'session | AUTH_ERROR | —': {
    async run(h) {
      await h.toAuthenticating();
      h.socket.deliver({ type: 'auth_error', message: 'Invalid credentials', code: 'AUTH_FAILED' });
      await flush();
      expect(h.matches('session.authenticating')).toBe(true);
      expect(h.context.error?.message).toBe('Invalid credentials');
    },
  },
  'session | DISCONNECT | —': {
    async run(h) {
      await h.toReady();
      h.send({ type: 'DISCONNECT' });
      await flush();
      expect(h.socket.clientClose?.code).toBe(1000);
    },
  },
  'session.connecting | SOCKET_OPEN | hasToken': {
    options: { manualTokens: true },
    async run(h) {
      await h.toConnecting();
      await h.resolveToken({ token: 'tok' });
      expect(h.matches('session.connecting')).toBe(true);
      h.socket.open();
      await flush();
      expect(h.socket.sentOfType('authenticate')).toEqual([{ type: 'authenticate', method: 'jwt', token: 'tok', protocol: { serialization: 'msgpack', compression: 'none' } }]);
    },
  },
  'session.connecting | SOCKET_OPEN | —': {
    options: { manualTokens: true },
    async run(h) {
      await h.toConnecting();
      h.socket.open();
      await flush();
      expect(h.matches('session.connecting')).toBe(true);
      expect(h.context.socketOpen).toBe(true);
    },
  },
  'session.connecting | done fetchToken | socketIsOpen': {
    options: { manualTokens: true },
    async run(h) {
      await h.toConnecting();
      h.socket.open();
      await flush();
      await h.resolveToken({ token: 'late' });
      expect(h.socket.sentOfType('authenticate')[0]?.token).toBe('late');
    },
  },
  'session.connecting | done fetchToken | —': {
    options: { manualTokens: true },
    async run(h) {
      await h.toConnecting();
      await h.resolveToken({ token: 'early' });
      expect(h.matches('session.connecting')).toBe(true);
      expect(h.context.token?.token).toBe('early');
    },
  },
  'session.connecting | error fetchToken | isCredentialError': {
    options: { manualTokens: true },
    async run(h) {
      await h.toConnecting();
      await h.rejectToken(credentialError());
      expect(h.context.error?.code).toBe('AUTH_FAILED');
    },
  },
  'session.connecting | error fetchToken | —': {
    options: { manualTokens: true },
    async run(h) {
      await h.toConnecting();
      await h.rejectToken(new KalamError('NETWORK', 'offline'));
      expect(h.context.error?.code).toBe('NETWORK');
    },
  },
  'session.connecting | after connectTimeout | —': {
    options: { manualTokens: true },
    async run(h) {
      await h.toConnecting();
      await h.clock.advance(10_000);
      expect(h.context.error?.code).toBe('TIMEOUT');
      expect(h.hub.sockets[0]?.clientClose?.code).toBe(1000);
    },
  },
  'session.authenticating | AUTH_SUCCESS | —': {
    async run(h) {
      await h.toAuthenticating();
      h.socket.authOk({ connection_id: 'a'.repeat(32), user: 'bob' });
      await flush();
      expect(h.context.connectionId).toBe('a'.repeat(32));
      expect(h.context.user).toBe('bob');
      expect(h.transport?.serialization).toBe('msgpack');
    },
  },
  'session.authenticating | after authTimeout | —': {
    async run(h) {
      await h.toAuthenticating();
      await h.clock.advance(10_000);
      expect(h.context.error?.code).toBe('TIMEOUT');
    },
  },
  'session.ready.heartbeat.alive | after pingInterval | —': {
    async run(h) {
      await h.toReady();
      await h.clock.advance(10_000);
      expect(h.socket.sentOfType('ping')).toHaveLength(1);
    },
  },
  'session.ready.heartbeat.probing | LIFE | —': {
    async run(h) {
      await h.toReady();
      await h.clock.advance(10_000);
      // Any frame is life, not only pong.
      h.socket.deliver({ type: 'error', subscription_id: 'x', code: 'NOT_FOUND', message: 'x' });
      await flush();
      await h.clock.advance(4_999);
      expect(h.matches('session.ready')).toBe(true);
    },
  },
  'session.ready.heartbeat.probing | after pongTimeout | —': {
    async run(h) {
      await h.toReady();
      await h.clock.advance(15_000);
      expect(h.context.lastClose?.code).toBe(4005);
      expect(h.hub.sockets[0]?.clientClose).toBeDefined();
    },
  },
  'session.ready.stability.unstable | after stableAfter | —': {
    async run(h) {
      await h.toReconnecting();
      expect(h.context.attempt).toBe(1);
      await h.clock.advance(h.clock.nextDelay() ?? 0);
      h.socket.open();
      await flush();
      h.socket.authOk();
      await flush();
      await h.clock.advance(9_999);
      expect(h.context.attempt).toBe(1);
      h.socket.deliver({ type: 'pong' });
      await h.clock.advance(1);
      expect(h.context.attempt).toBe(0);
    },
  },
  'session.ready.refresh.check | always | canRefresh': {
    async run(h) {
      await h.toReady({ expires_at: h.clock.now() + 60_000 });
      expect(h.context.expiresAt).toBe(h.clock.now() + 60_000);
    },
  },
  'session.ready.refresh.check | always | —': {
    async run(h) {
      await h.toReady();
    },
  },
  'session.ready.refresh.waiting | after refreshAt | —': {
    options: { manualTokens: true },
    async run(h) {
      h.hub.autoPong = true;
      await h.toReady({ expires_at: h.clock.now() + 50_000 });
      await h.clock.advance(39_999);
      expect(h.tokenRequests).toHaveLength(0);
      await h.clock.advance(1);
      expect(h.tokenRequests.map((r) => r.forceRefresh)).toEqual([true]);
    },
  },
  'session.ready.refresh.refreshing | done refreshToken | —': {
    options: { manualTokens: true },
    async run(h) {
      h.hub.autoPong = true;
      await h.toReady({ expires_at: h.clock.now() + 50_000 });
      await h.clock.advance(40_000);
      await h.resolveToken({ token: 'fresh' });
      expect(h.socket.sentOfType('authenticate').map((a) => a.token)).toEqual(['manual-1', 'fresh']);
      expect(h.hub.sockets).toHaveLength(1);
    },
  },
  'session.ready.refresh.refreshing | error refreshToken | —': {
    options: { manualTokens: true },
    async run(h) {
      h.hub.autoPong = true;
      await h.toReady({ expires_at: h.clock.now() + 50_000 });
      await h.clock.advance(40_000);
      await h.rejectToken(new KalamError('NETWORK', 'down'));
      expect(h.errors.map((e) => e.code)).toEqual(['NETWORK']);
    },
  },
  'session.ready.refresh.awaitingAuth | AUTH_SUCCESS | —': {
    options: { manualTokens: true },
    async run(h) {
      h.hub.autoPong = true;
      await h.toReady({ expires_at: h.clock.now() + 50_000 });
      await h.clock.advance(40_000);
      await h.resolveToken({ token: 'fresh' });
      h.socket.authOk({ expires_at: h.clock.now() + 100_000 });
      await flush();
      expect(h.context.expiresAt).toBe(h.clock.now() + 100_000);
    },
  },
  'reconnecting | CONNECT | —': {
    async run(h) {
      await h.toReconnecting();
      h.send({ type: 'CONNECT' });
      await flush();
      expect(h.hub.sockets).toHaveLength(2);
      expect(h.context.attempt).toBe(0);
    },
  },
  'reconnecting | ONLINE | —': {
    async run(h) {
      await h.toReconnecting();
      h.send({ type: 'ONLINE' });
      await flush();
      expect(h.hub.sockets).toHaveLength(2);
    },
  },
  'reconnecting | VISIBLE | —': {
    async run(h) {
      await h.toReconnecting();
      h.send({ type: 'VISIBLE' });
      await flush();
      expect(h.hub.sockets).toHaveLength(2);
    },
  },
  'reconnecting | DISCONNECT | —': {
    async run(h) {
      await h.toReconnecting();
      h.send({ type: 'DISCONNECT' });
      await flush();
      await h.clock.advance(60_000);
      expect(h.hub.sockets).toHaveLength(1);
    },
  },
  'reconnecting.backoff | after backoff | isOffline': {
    async run(h) {
      const nav = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
      Object.defineProperty(globalThis, 'navigator', { value: { onLine: false }, configurable: true });
      try {
        await h.toReconnecting();
        await h.clock.advance(60_000);
        expect(h.hub.sockets).toHaveLength(1);
      } finally {
        if (nav === undefined) delete (globalThis as { navigator?: unknown }).navigator;
        else Object.defineProperty(globalThis, 'navigator', nav);
      }
    },
  },
  'reconnecting.backoff | after backoff | —': {
    async run(h) {
      await h.toReconnecting();
      // random() = 0.5, a ready connection dropped (1006): half of the 100 ms quick first retry.
      expect(h.context.backoffMs).toBe(50);
      await h.clock.advance(49);
      expect(h.hub.sockets).toHaveLength(1);
      await h.clock.advance(1);
      expect(h.hub.sockets).toHaveLength(2);
    },
  },
  'closed | CONNECT | —': {
    async run(h) {
      await h.toClosed();
      h.send({ type: 'CONNECT' });
      await flush();
      expect(h.hub.sockets).toHaveLength(2);
    },
  },
  'killed | CONNECT | —': {
    async run(h) {
      await h.toTerminal(4004);
      h.send({ type: 'CONNECT' });
      await flush();
      expect(h.context.error).toBeUndefined();
    },
  },
  'auth_revoked | CONNECT | —': {
    async run(h) {
      await h.toTerminal(4003);
      h.send({ type: 'CONNECT' });
      await flush();
      expect(h.hub.sockets).toHaveLength(2);
    },
  },
  'auth_failed | CONNECT | —': {
    async run(h) {
      await h.toTerminal(4001);
      h.send({ type: 'CONNECT' });
      await flush();
      expect(h.context.authRetried).toBe(false);
    },
  },
};

/** Where each row must leave the machine (`—` rows stay in their source state). */
function expectedPath(row: TableRow): string {
  if (row.next === '—') return row.state;
  const next = row.next.replace(' (re-enter)', '');
  // `check` is transient (an `always` choice): the scenario's token has a known expiry, so it settles in `waiting`.
  if (next === 'session.ready.refresh.check') return 'session.ready.refresh.waiting';
  return next === 'session' ? 'session.connecting' : next === 'reconnecting' ? 'reconnecting.backoff' : next;
}

describe('LIFECYCLE.md transition table', () => {
  const spec = specRows();

  test('lists exactly the machine transitions, in order', () => {
    expect(spec).toEqual(machineRows());
  });

  test('documents every entry action', () => {
    const text = readFileSync(LIFECYCLE_PATH, 'utf8');
    for (const [state, actions] of Object.entries(machineEntries())) {
      for (const action of actions.split(', ')) expect(text).toContain(`| \`${state}\` | \`${action}\``);
    }
  });

  test('every scenario belongs to a row', () => {
    const rows = new Set(spec.map(key));
    expect(Object.keys(scenarios).filter((k) => !rows.has(k))).toEqual([]);
  });

  test.each(spec.map((row) => [`${row.state} --${row.event}${row.guard === '—' ? '' : ` [${row.guard}]`}--> ${row.next}`, row] as const))('%s', async (_title, row) => {
    const scenario = scenarios[key(row)];
    if (scenario === undefined) throw new Error(`no scenario drives the row "${key(row)}"`);
    const h = new MachineHarness(scenario.options);
    try {
      await scenario.run(h);
      const path = expectedPath(row);
      expect({ row: key(row), in: h.matches(path), paths: h.paths() }).toEqual({ row: key(row), in: true, paths: expect.anything() });
    } finally {
      h.stop();
    }
  });
});

describe('LIFECYCLE.md first-retry table (random() = 0.5: quick = 50 ms of 100, backoff = 250 ms of 500)', () => {
  const rows = firstRetryRows();

  test('the spread-out codes are exactly the table rows that keep the backoff', () => {
    expect(rows.length).toBeGreaterThan(5);
    const spread = rows.filter((r) => r.first === 'backoff').flatMap((r) => r.codes);
    expect([...SPREAD_OUT_CLOSE_CODES].sort()).toEqual([...spread].sort());
  });

  test.each(rows.flatMap((r) => r.codes.map((code) => [code, r.first] as const)))('ready, then close %i: first retry %s', async (code, first) => {
    const h = new MachineHarness();
    try {
      await h.toReady();
      h.socket.serverClose(code);
      await flush();
      expect(h.matches('reconnecting.backoff')).toBe(true);
      expect(h.context.backoffMs).toBe(first === 'quick' ? 50 : 250);
    } finally {
      h.stop();
    }
  });

  test("the client's own heartbeat timeout (recorded as 4005) keeps the backoff", async () => {
    const h = new MachineHarness();
    try {
      await h.toReady();
      await h.clock.advance(15_000);
      expect(h.context.lastClose?.code).toBe(4005);
      expect(h.context.backoffMs).toBe(250);
    } finally {
      h.stop();
    }
  });

  test('only the first: a drop before the connection was stable again, or of an attempt that never got ready, backs off', async () => {
    const h = new MachineHarness();
    try {
      await h.toReconnecting();
      expect(h.context.backoffMs).toBe(50);
      await h.clock.advance(50);
      // Attempt 1 never gets ready: the full backoff, ceiling 1000 ms.
      h.socket.serverClose(1006);
      await flush();
      expect(h.context.backoffMs).toBe(500);
      await h.clock.advance(500);
      h.socket.open();
      await flush();
      h.socket.authOk();
      await flush();
      expect(h.matches('session.ready')).toBe(true);
      // Ready again but not yet stable (attempt 2): no quick retry.
      h.socket.serverClose(1006);
      await flush();
      expect(h.context.backoffMs).toBe(1000);
    } finally {
      h.stop();
    }
  });

  test('a first connect that fails (never ready) backs off fully', async () => {
    const h = new MachineHarness();
    try {
      await h.toConnecting();
      h.socket.serverClose(1006);
      await flush();
      expect(h.context.backoffMs).toBe(250);
    } finally {
      h.stop();
    }
  });
});
