/**
 * The link facade with a scripted socket and a manual clock: lazy connect, queued subscribes,
 * gzip frames in order, the frame tap, snapshot identity, connect()/disconnect() semantics.
 */
import { gzipSync } from 'node:zlib';
import { Auth } from '../../src/auth.js';
import { createLink, type KalamLink } from '../../src/link.js';
import { createCodec } from '../../src/protocol/frame.js';
import type { SubscriptionEvent } from '../../src/subscriptions/types.js';
import { SocketHub } from '../support/fakeSocket.js';
import { flush, ManualClock } from '../support/manualClock.js';
import { SCHEMA } from '../support/fakeServer.js';
import { trackUnhandledRejections } from '../support/rejections.js';

const rejections = trackUnhandledRejections();
afterEach(() => expect(rejections.splice(0)).toEqual([]));

function make(serialization: 'msgpack' | 'json' = 'msgpack'): { link: KalamLink; hub: SocketHub; clock: ManualClock } {
  const hub = new SocketHub();
  const clock = new ManualClock();
  const link = createLink({ url: 'http://kalam.test:8080/', auth: Auth.jwt('static-token'), WebSocket: hub.WebSocket, timers: clock, serialization, reconnect: { random: () => 0 } });
  return { link, hub, clock };
}

test('lazy: no socket until the first subscribe; subscribes made while connecting are sent once, together, after auth', async () => {
  const { link, hub } = make();
  expect(link.getSnapshot()).toEqual({ state: 'idle', attempt: 0, reconnects: 0 });
  const snapshot = link.getSnapshot();
  expect(link.getSnapshot()).toBe(snapshot);
  link.subscribe('SELECT * FROM app.a');
  await flush();
  expect(hub.sockets).toHaveLength(1);
  expect(hub.last.url).toBe('ws://kalam.test:8080/v1/ws');
  link.subscribe('SELECT * FROM app.b');
  hub.last.open();
  await flush();
  expect(hub.last.sent.map((m) => m.type)).toEqual(['authenticate']);
  hub.last.authOk();
  await flush();
  expect(link.state).toBe('ready');
  expect(hub.last.sent.map((m) => m.type)).toEqual(['authenticate', 'subscribe', 'subscribe']);
  // msgpack negotiated: subscribes are binary frames; authenticate is JSON text.
  expect(hub.last.rawSent.map((f) => typeof f)).toEqual(['string', 'object', 'object']);
  await link.close();
});

test('gzip binary frames are inflated and keep their order relative to plain frames', async () => {
  const { link, hub } = make('json');
  const events: SubscriptionEvent[] = [];
  link.subscribe('SELECT * FROM app.t', { id: 's' }, (e) => events.push(e));
  await flush();
  hub.last.open();
  await flush();
  hub.last.authOk();
  await flush();
  const json = createCodec('json');
  hub.last.deliverRaw(new Uint8Array(gzipSync(Buffer.from(json.encode({ type: 'subscription_ack', subscription_id: 's', total_rows: 1, schema: SCHEMA, batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: 5n } }) as string))));
  hub.last.deliver({ type: 'initial_data_batch', subscription_id: 's', rows: [{ id: 1, v: 'a', big: '12345678901234567890', _seq: 4n }], batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: 5n } });
  await new Promise((r) => setTimeout(r, 50));
  expect(events.filter((e) => e.type !== 'status').map((e) => e.type)).toEqual(['ack', 'snapshot']);
  expect(events.find((e) => e.type === 'snapshot')).toMatchObject({ rows: [{ big: 12345678901234567890n }] });
  await link.close();
});

test('frame tap, transition events and the close() contract', async () => {
  const { link, hub } = make();
  const frames: string[] = [];
  const transitions: string[] = [];
  link.on('frame', (f) => frames.push(`${f.direction}:${f.type}`));
  link.on('transition', (t) => transitions.push(`${t.from}->${t.to}`));
  const ready = link.connect();
  await flush();
  hub.last.open();
  await flush();
  hub.last.authOk();
  await ready;
  expect(frames).toEqual(['out:authenticate', 'in:auth_success']);
  expect(transitions).toEqual(['idle->connecting', 'connecting->authenticating', 'authenticating->ready']);
  const sub = link.subscribe('SELECT * FROM app.t');
  await link.close();
  expect(sub.status).toBe('closed');
  expect(link.state).toBe('closed');
  expect(() => link.subscribe('SELECT 1')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  await expect(link.connect()).rejects.toMatchObject({ code: 'CLOSED' });
});

test('disconnect() keeps subscriptions; the next connect() resumes them from lastSeqId', async () => {
  const { link, hub } = make();
  const sub = link.subscribe('SELECT * FROM app.t', { id: 's', from: 77n });
  await flush();
  hub.last.open();
  await flush();
  hub.last.authOk();
  await flush();
  await link.disconnect();
  expect(link.state).toBe('closed');
  expect(sub.status).toBe('pending');
  const again = link.connect();
  await flush();
  hub.last.open();
  await flush();
  hub.last.authOk();
  await again;
  expect(hub.sockets).toHaveLength(2);
  expect(hub.last.sentOfType('subscribe')[0]?.subscription.options).toEqual({ from: 77n });
  await link.close();
});

test('connect() rejects with the terminal error (KILLED) and never leaves an unhandled rejection behind', async () => {
  const { link, hub } = make();
  link.subscribe('SELECT * FROM app.t');
  const pending = link.connect();
  await flush();
  hub.last.open();
  await flush();
  hub.last.serverClose(4004, 'killed by admin');
  await expect(pending).rejects.toMatchObject({ code: 'KILLED', closeCode: 4004 });
  expect(link.getSnapshot()).toMatchObject({ state: 'killed', lastClose: { code: 4004, action: 'stop' } });
  await link.close();
});

test('heartbeat: a half-open socket (no frame after a ping) is abandoned and a new one opened', async () => {
  const { link, hub, clock } = make();
  await Promise.all([link.connect(), (async () => {
    await flush();
    hub.last.open();
    await flush();
    hub.last.authOk();
  })()]);
  const states: string[] = [];
  link.on('state', (s) => states.push(s.state));
  await clock.advance(14_999);
  expect(states).toEqual([]);
  await clock.advance(1);
  // random() = 0: the backoff wait is 0 ms, so the new attempt starts at once.
  expect(states).toEqual(['reconnecting', 'connecting']);
  expect(link.getSnapshot().lastClose?.code).toBe(4005);
  expect(hub.sockets).toHaveLength(2);
  expect(hub.sockets[0]?.clientClose?.code).toBe(1000);
  await link.close();
});

test('a transition carries the close reason going down, not on the way back up', async () => {
  const { link, hub, clock } = make();
  const transitions: string[] = [];
  link.on('transition', (t) => transitions.push(`${t.from}->${t.to}:${t.reason ?? ''}`));
  const ready = link.connect();
  await flush();
  hub.last.open();
  await flush();
  hub.last.authOk();
  await ready;
  hub.last.serverClose(1001, 'server shutting down');
  await flush();
  await clock.advance(1);
  await flush();
  hub.last.open();
  await flush();
  hub.last.authOk();
  await flush();
  expect(link.state).toBe('ready');
  expect(transitions.slice(3)).toEqual([
    'ready->reconnecting:server shutting down',
    'reconnecting->connecting:',
    'connecting->authenticating:',
    'authenticating->ready:',
  ]);
  await link.close();
});

test("binaryType: 'nodebuffer' where the socket takes it (Node's ws), else 'arraybuffer' (browsers, undici)", async () => {
  const hub = new SocketHub();
  // A browser rejects unknown binary types and keeps (Chrome) or resets to 'blob' (undici) its value.
  const BrowserLike = class extends hub.WebSocket {
    constructor(url: string) {
      super(url);
      let type = 'blob';
      Object.defineProperty(this, 'binaryType', {
        get: () => type,
        set: (value: string) => {
          type = value === 'arraybuffer' ? value : 'blob';
        },
      });
    }
  };
  const clock = new ManualClock();
  const browser = createLink({ url: 'http://kalam.test:8080/', auth: Auth.jwt('t'), WebSocket: BrowserLike, timers: clock });
  const node = createLink({ url: 'http://kalam.test:8080/', auth: Auth.jwt('t'), WebSocket: hub.WebSocket, timers: clock });
  browser.subscribe('SELECT * FROM app.t');
  await flush();
  node.subscribe('SELECT * FROM app.t');
  await flush();
  expect(hub.sockets.map((s) => s.binaryType)).toEqual(['arraybuffer', 'nodebuffer']);
  await Promise.all([browser.close(), node.close()]);
});
