/**
 * The subscription state machine against a scripted engine: the snapshot → catch-up → live
 * switch loses and repeats nothing when commits land mid-read, when a commit's notification
 * arrives after its seq became current, and when the snapshot point is ahead of `currentSeq`.
 */
import { createCodec, KalamError, type ChangeMessage, type Frame, type Row, type ServerMessage, type SubscriptionOptions } from '@kalam/link/protocol';
import type { CommittedChange, Engine, LiveQueryPlan, Snapshot } from '../../../server/src/engine/types.js';
import { spliceChange, WireSeq } from '../../../server/src/live/encode.js';
import { LiveSubscription, type FanoutMemo, type SubscriptionHost } from '../../../server/src/live/subscription.js';

const codec = createCodec('msgpack');

const plan: LiveQueryPlan = {
  tableId: 'app.t', namespace: 'app', tableName: 't', kind: 'user', partition: 'alice',
  schema: [{ name: 'id', data_type: 'Int', index: 0, flags: ['pk'] }],
  projectionKey: 'id',
  matches: (row) => (row['id'] as number) < 1000,
  project: (row) => ({ id: row['id'] ?? null, _seq: row['_seq'] ?? null }),
};

/** A scripted engine: a change log, a current seq, and hooks into readChanges. */
class ScriptedEngine {
  log: CommittedChange[] = [];
  current = 0n;
  snapshotSeq: bigint | undefined;
  onRead: (() => void) | undefined;
  commit(id: number, notify?: (c: CommittedChange) => void): CommittedChange {
    const seq = ++this.current;
    const c: CommittedChange = { seq, tableId: 'app.t', kind: 'user', partition: 'alice', changeType: 'insert', oldRow: null, newRow: { id, _seq: seq } };
    this.log.push(c);
    notify?.(c);
    return c;
  }
  currentSeq = (): bigint => this.current;
  isRetained = (): boolean => true;
  readChanges = async (_t: string, _p: string, after: bigint, upto: bigint, limit: number): Promise<CommittedChange[]> => {
    await Promise.resolve();
    const page = this.log.filter((c) => c.seq > after && c.seq <= upto).slice(0, limit);
    const hook = this.onRead;
    this.onRead = undefined;
    hook?.();
    return page;
  };
  openSnapshot = (): Snapshot => {
    const seq = this.snapshotSeq ?? this.current;
    const rows: Row[] = this.log.filter((c) => c.seq <= seq).map((c) => plan.project(c.newRow as Row));
    return {
      seq,
      scan: async () => ({ rows, hasMore: false }),
      count: async () => rows.length,
      release: () => undefined,
    };
  };
}

function setup(
  engine: ScriptedEngine,
  options: SubscriptionOptions = {},
  onAbort: (reason: string) => void = () => {
    throw new Error('aborted');
  },
): { sub: LiveSubscription; out: ServerMessage[]; live: () => boolean } {
  const out: ServerMessage[] = [];
  let isLive = false;
  const host: SubscriptionHost = {
    engine: engine as unknown as Engine,
    compat: false,
    codec,
    maxBatchSize: 10000,
    defaultBatchSize: 1000,
    closed: false,
    send: (m) => out.push(codec.decode(codec.encode(m)) as ServerMessage),
    sendFrame: (f: Frame) => out.push(codec.decode(f) as ServerMessage),
    sendChange(encoded, id, prev) {
      this.sendFrame(spliceChange(encoded, id, prev));
    },
    acknowledged: () => undefined,
    goLive: () => {
      isLive = true;
    },
    congested: false,
    writable: async () => undefined,
    abort: (_sub, reason) => onAbort(reason),
    endSubscription: () => false,
  };
  const sub = new LiveSubscription(host, 's', 'SELECT id FROM app.t', [], options, plan);
  return { sub, out, live: () => isLive };
}

const memo = (c: CommittedChange): FanoutMemo => ({ outcomes: new Map(), encoded: new Map(), seq: new WireSeq(c.seq) });

function changeIds(out: ServerMessage[]): unknown[] {
  return out.filter((m): m is ChangeMessage => m.type === 'change').map((m) => m.rows?.[0]?.['id']);
}

function checkChain(out: ServerMessage[]): void {
  let prev: bigint | undefined;
  for (const m of out) {
    if (m.type === 'initial_data_batch') prev = m.batch_control.last_seq_id as bigint;
    if (m.type === 'change') {
      expect(m.prev_seq).toBe(prev);
      prev = m.seq as bigint;
    }
  }
}

it('commits landing while the log is read are caught up, then live takes over exactly once', async () => {
  const engine = new ScriptedEngine();
  engine.commit(1);
  const { sub, out, live } = setup(engine);
  const started = sub.start();
  // while the subscription is still in snapshot/catch-up, two commits land, notified at once
  for (const id of [2, 3]) {
    const c = engine.commit(id);
    sub.onLiveChange(c, memo(c)); // not live yet: ignored, the log has it
  }
  engine.onRead = () => {
    const c = engine.commit(4); // lands during the read of (S, head]
    sub.onLiveChange(c, memo(c));
  };
  await started;
  expect(live()).toBe(true);
  const c5 = engine.commit(5);
  sub.onLiveChange(c5, memo(c5));
  expect(changeIds(out)).toEqual([2, 3, 4, 5]);
  checkChain(out);
});

it('a notification arriving after its seq became current (and was caught up) is not delivered twice', async () => {
  const engine = new ScriptedEngine();
  const { sub, out } = setup(engine);
  const started = sub.start();
  const late = engine.commit(7); // current advanced; its onCommit has not run yet
  await started; // catch-up reads seq 1 from the log and goes live
  sub.onLiveChange(late, memo(late)); // the late notification
  expect(changeIds(out)).toEqual([7]);
  checkChain(out);
});

it('a snapshot point ahead of currentSeq (batch in flight) suppresses that batch\'s notifications', async () => {
  const engine = new ScriptedEngine();
  engine.commit(1);
  const inflight = engine.commit(2); // in the snapshot…
  engine.current = 1n; // …but not yet current
  engine.snapshotSeq = 2n;
  const { sub, out, live } = setup(engine);
  await sub.start();
  expect(live()).toBe(true);
  engine.current = 2n;
  sub.onLiveChange(inflight, memo(inflight));
  const c3 = engine.commit(3);
  sub.onLiveChange(c3, memo(c3));
  const batch = out.find((m) => m.type === 'initial_data_batch');
  expect(batch?.type === 'initial_data_batch' && batch.rows.map((r) => r['id'])).toEqual([1, 2]);
  expect(changeIds(out)).toEqual([3]);
  checkChain(out);
});

it('resume from F acks resumed:true and replays only what matches after F, then continues live', async () => {
  const engine = new ScriptedEngine();
  engine.commit(1);
  const from = engine.current;
  engine.commit(2);
  engine.commit(5000); // outside the WHERE
  engine.commit(3);
  const { sub, out, live } = setup(engine, { from });
  await sub.start();
  expect(live()).toBe(true);
  expect(out[0]).toMatchObject({ type: 'subscription_ack', resumed: true, batch_control: { last_seq_id: from, status: 'ready' } });
  expect(out.some((m) => m.type === 'initial_data_batch')).toBe(false);
  const c4 = engine.commit(4);
  sub.onLiveChange(c4, memo(c4));
  expect(changeIds(out)).toEqual([2, 3, 4]);
  let prev = from;
  for (const m of out) {
    if (m.type !== 'change') continue;
    expect(m.prev_seq).toBe(prev);
    prev = m.seq as bigint;
  }
});

describe('a change log trimmed past the subscription during catch-up asks the host to drop the socket (1011), delivering nothing more', () => {
  it.each([
    ['isRetained turns false before a page is read', (engine: ScriptedEngine): void => {
      let calls = 0;
      engine.isRetained = (): boolean => ++calls === 1; // true for the resume decision, false in catch-up
    }],
    ['readChanges reports the trim (CONFLICT)', (engine: ScriptedEngine): void => {
      engine.readChanges = async (): Promise<CommittedChange[]> => {
        await Promise.resolve();
        throw new KalamError('CONFLICT', 'change log trimmed');
      };
    }],
  ])('%s', async (_what, trim) => {
    const engine = new ScriptedEngine();
    engine.commit(1);
    const from = engine.current;
    engine.commit(2);
    trim(engine);
    const aborts: string[] = [];
    const { sub, out, live } = setup(engine, { from }, (reason) => aborts.push(reason));
    await sub.start();
    expect(out[0]).toMatchObject({ type: 'subscription_ack', resumed: true });
    expect(aborts).toEqual(['change log trimmed past this subscription']);
    expect(changeIds(out)).toEqual([]);
    expect(live()).toBe(false);
  });
});

it('catch-up paces within a page: a congested buffer is waited out before each further change, none lost', async () => {
  const engine = new ScriptedEngine();
  engine.commit(1);
  const from = engine.current;
  for (let id = 2; id <= 60; id++) engine.commit(id); // one page (< 1000)
  const { sub, out } = setup(engine, { from });
  let buffered = 0;
  let maxBuffered = 0;
  let waits = 0;
  const host = sub.host as { -readonly [K in keyof SubscriptionHost]: SubscriptionHost[K] };
  const sendFrame = host.sendFrame.bind(host);
  host.sendFrame = (f: Frame): void => {
    maxBuffered = Math.max(maxBuffered, ++buffered);
    sendFrame(f);
  };
  Object.defineProperty(host, 'congested', { get: () => buffered >= 10 });
  host.writable = async (): Promise<void> => {
    waits++;
    await new Promise((r) => setTimeout(r, 1));
    buffered = 0; // the reader caught up
  };
  await sub.start();
  expect(maxBuffered).toBe(10);
  expect(waits).toBeGreaterThanOrEqual(5);
  expect(changeIds(out)).toEqual(Array.from({ length: 59 }, (_, i) => i + 2));
  let prev = from;
  for (const m of out) {
    if (m.type !== 'change') continue;
    expect(m.prev_seq).toBe(prev);
    prev = m.seq as bigint;
  }
});
