/**
 * The inspector against a real link and the real reference server: lifecycle transitions with
 * reasons, subscription status / lastSeqId / events, frames (bounded), reconnects and the last
 * close after a dropped socket and a KILL CONNECTION, the store contract, dispose.
 */
import { createInspector, type Inspector } from '../../src/inspect/inspector.js';
import { createLink, type KalamLink } from '../../src/link.js';
import { adminAuth, eventually, RecordingWs, startTestServer, type TestServer } from '../support/server.js';

let t: TestServer;
const links: KalamLink[] = [];
const inspectors: Inspector[] = [];

beforeAll(async () => {
  t = await startTestServer();
  await t.sql('CREATE NAMESPACE insp; CREATE SHARED TABLE insp.items (id INT PRIMARY KEY, v TEXT)');
  await t.sql("INSERT INTO insp.items (id, v) VALUES (1, 'one'), (2, 'two')");
});
afterEach(async () => {
  for (const inspector of inspectors.splice(0)) inspector.dispose();
  await Promise.all(links.splice(0).map((l) => l.close()));
});
afterAll(async () => t.close());

function setup(maxFrames?: number): { link: KalamLink; inspector: Inspector; ws: RecordingWs; notified: () => number } {
  const ws = new RecordingWs();
  const link = createLink({ url: t.url, auth: adminAuth(), WebSocket: ws.WebSocket, reconnect: { baseDelayMs: 5, maxDelayMs: 20 } });
  links.push(link);
  let clock = 1_000;
  const inspector = createInspector(link, { now: () => ++clock, ...(maxFrames === undefined ? {} : { maxFrames }) });
  inspectors.push(inspector);
  let count = 0;
  inspector.subscribe(() => count++);
  return { link, inspector, ws, notified: () => count };
}

test('records the lifecycle, the subscription and the frames of a session', async () => {
  const { link, inspector, notified } = setup();
  expect(inspector.getSnapshot()).toMatchObject({ state: 'idle', transitions: [], subscriptions: [], frames: [], reconnects: 0, framesSeen: 0 });
  link.subscribe('SELECT * FROM insp.items', { id: 'items' });
  await link.connect();
  await eventually(() => inspector.getSnapshot().subscriptions[0]?.status === 'ready', 5000, 'subscription ready');

  const view = inspector.getSnapshot();
  expect(view.state).toBe('ready');
  expect(view.transitions.map((x) => `${x.from}>${x.to}`)).toEqual(['idle>connecting', 'connecting>authenticating', 'authenticating>ready']);
  expect(view.transitions.every((x) => x.reason.length > 0 && x.at > 1_000)).toBe(true);
  expect(view.subscriptions).toEqual([
    expect.objectContaining({ id: 'items', sql: 'SELECT * FROM insp.items', status: 'ready', eventsDelivered: expect.any(Number) }),
  ]);
  const resumePoint = view.subscriptions[0]?.lastSeqId;
  expect(typeof resumePoint).toBe('bigint');
  expect(view.frames.map((f) => `${f.direction} ${f.type}${f.subscriptionId === undefined ? '' : ` ${f.subscriptionId}`}`)).toEqual([
    'out authenticate',
    'in auth_success',
    'out subscribe items',
    'in subscription_ack items',
    'in initial_data_batch items',
  ]);
  expect(view.frames.every((f) => f.bytes > 0)).toBe(true);
  expect(view.framesSeen).toBe(5);
  expect(notified()).toBeGreaterThan(0);

  // The store contract: the same object until something changes.
  await Promise.resolve();
  expect(inspector.getSnapshot()).toBe(view);

  const before = view.subscriptions[0]?.eventsDelivered ?? 0;
  await t.sql("INSERT INTO insp.items (id, v) VALUES (3, 'three')");
  await eventually(() => inspector.getSnapshot().subscriptions[0]?.eventsDelivered === before + 1, 5000, 'change counted');
  const after = inspector.getSnapshot();
  expect(after).not.toBe(view);
  expect(after.frames.at(-1)).toMatchObject({ direction: 'in', type: 'change', subscriptionId: 'items' });
  expect(after.subscriptions[0]?.lastSeqId ?? 0n).toBeGreaterThan(resumePoint ?? 0n);
});

test('a dropped socket: reconnecting with a reason, reconnect count, last close 1006, resumed subscription', async () => {
  const { link, inspector, ws } = setup();
  link.subscribe('SELECT * FROM insp.items', { id: 'items' });
  await link.connect();
  await eventually(() => inspector.getSnapshot().subscriptions[0]?.status === 'ready');
  ws.dropAll();
  await eventually(() => inspector.getSnapshot().reconnects === 1 && inspector.getSnapshot().state === 'ready', 5000, 'reconnected');
  await eventually(() => inspector.getSnapshot().subscriptions[0]?.status === 'ready', 5000, 'resumed');
  const view = inspector.getSnapshot();
  expect(view.lastClose).toMatchObject({ code: 1006, action: 'reconnect' });
  const lost = view.transitions.find((x) => x.from === 'ready');
  expect(lost).toMatchObject({ to: 'reconnecting', event: 'SOCKET_CLOSE' });
  expect(lost?.reason).not.toBe('SOCKET_CLOSE');
  // On the way back the reason is the machine event, not the stale close reason.
  expect(view.transitions.at(-1)).toMatchObject({ from: 'authenticating', to: 'ready', reason: 'AUTH_SUCCESS' });
  const resubscribe = view.frames.filter((f) => f.type === 'subscribe');
  expect(resubscribe).toHaveLength(2);
});

test('KILL CONNECTION: killed, close code 4004, no further transitions', async () => {
  const { link, inspector } = setup();
  link.subscribe('SELECT id FROM insp.items', { id: 'ids' });
  await link.connect();
  await eventually(() => inspector.getSnapshot().subscriptions[0]?.status === 'ready');
  await t.sql(`KILL CONNECTION '${link.getSnapshot().connectionId ?? ''}'`);
  await eventually(() => inspector.getSnapshot().state === 'killed', 5000, 'killed');
  // The backoff base is 5 ms here: a reconnect would have shown by now.
  await new Promise((r) => setTimeout(r, 100));
  const view = inspector.getSnapshot();
  expect(view.lastClose?.code).toBe(4004);
  expect(view.transitions.at(-1)).toMatchObject({ from: 'ready', to: 'killed' });
  expect(view.subscriptions).toEqual([]);
  expect(view.reconnects).toBe(0);
});

test('keeps only the last maxFrames frames; dispose stops updates', async () => {
  const { link, inspector, notified } = setup(3);
  link.subscribe('SELECT * FROM insp.items', { id: 'items' });
  await link.connect();
  await eventually(() => inspector.getSnapshot().framesSeen >= 5);
  const view = inspector.getSnapshot();
  expect(view.frames).toHaveLength(3);
  expect(view.frames.map((f) => f.type)).toEqual(['subscribe', 'subscription_ack', 'initial_data_batch']);
  inspector.dispose();
  inspector.dispose();
  const count = notified();
  await t.sql("INSERT INTO insp.items (id, v) VALUES (4, 'four')");
  await eventually(() => link.listSubscriptions()[0]?.eventsDelivered !== view.subscriptions[0]?.eventsDelivered, 5000, 'change delivered');
  await new Promise((r) => setTimeout(r, 20));
  expect(notified()).toBe(count);
  expect(inspector.getSnapshot()).toBe(view);
});
