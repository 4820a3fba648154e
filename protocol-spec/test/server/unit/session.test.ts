/**
 * Session closes that keep the delivery guarantees (PROTOCOL.md §9): an undeliverable
 * subscription drops the socket with 1011, and catch-up waiting on an outbound buffer that never
 * drains ends with 4006 after the client timeout. A scripted transport stands in for the socket.
 */
import { CloseCode, type Frame } from '@kalam/link/protocol';
import { resolveConfig } from '../../../server/src/config.js';
import type { LiveSubscription } from '../../../server/src/live/subscription.js';
import type { Runtime } from '../../../server/src/runtime.js';
import { Session, type SessionTransport } from '../../../server/src/session.js';
import { createCodecs } from '../../../server/src/transport/frames.js';

class ScriptedTransport implements SessionTransport {
  readonly remoteAddress = '127.0.0.1';
  bufferedAmount = 0;
  readonly sent: Frame[] = [];
  readonly closes: Array<{ code: number; reason: string }> = [];
  send(frame: Frame): void {
    this.sent.push(frame);
  }
  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
  }
}

const CLIENT_TIMEOUT_MS = 200;

function setup(): { session: Session; transport: ScriptedTransport; closedSessions: Session[]; logs: string[] } {
  const logs: string[] = [];
  const config = resolveConfig({
    dataDir: '/nonexistent',
    jwtSecret: 'unit',
    limits: { clientTimeoutMs: CLIENT_TIMEOUT_MS, maxOutboundBytes: 1000 },
    log: (line) => logs.push(line),
  });
  const closedSessions: Session[] = [];
  const rt = { config, codecs: createCodecs(config.limits.maxFrameBytes), sessionClosed: (s: Session) => closedSessions.push(s) } as unknown as Runtime;
  const transport = new ScriptedTransport();
  return { session: new Session(rt, transport), transport, closedSessions, logs };
}

it('abort: the socket closes with 1011 (the client resumes) and the reason is logged', () => {
  const { session, transport, closedSessions, logs } = setup();
  session.abort({ id: 's1' } as LiveSubscription, 'change log trimmed past this subscription');
  expect(transport.closes).toEqual([{ code: CloseCode.INTERNAL_ERROR, reason: 'subscription interrupted; resume' }]);
  expect(closedSessions).toEqual([session]);
  expect(logs.join('\n')).toMatch(/subscription s1: change log trimmed/);
});

it('writable() waits while the buffer is over half full and resolves once it drains', async () => {
  const { session, transport } = setup();
  transport.bufferedAmount = 800;
  let resolved = false;
  const waiting = session.writable().then(() => (resolved = true));
  await new Promise((r) => setTimeout(r, 30));
  expect(resolved).toBe(false);
  transport.bufferedAmount = 400;
  await waiting;
  expect(transport.closes).toEqual([]);
  session.close(CloseCode.NORMAL, 'done');
});

it('writable() on a buffer that never drains closes with 4006 after the client timeout', async () => {
  const { session, transport, closedSessions } = setup();
  transport.bufferedAmount = 800;
  const pinging = setInterval(() => session.onControlFrame(), 20); // alive, just not reading: no 4005
  const started = Date.now();
  await session.writable();
  clearInterval(pinging);
  expect(Date.now() - started).toBeGreaterThanOrEqual(CLIENT_TIMEOUT_MS);
  expect(transport.closes).toEqual([{ code: CloseCode.SLOW_CONSUMER, reason: 'outbound buffer not draining' }]);
  expect(session.closed).toBe(true);
  expect(closedSessions).toEqual([session]);
});
