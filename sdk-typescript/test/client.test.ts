/**
 * @kalam/client against the real reference server: every method, abort paths, async iteration,
 * typed errors. The client talks to the server as `alice`; the fixture checks the server side as admin.
 */
import {
  Auth,
  createClient,
  KalamError,
  type EventOf,
  type KalamClient,
  type Subscription,
  type SubscriptionEvent,
  type SubscriptionEventType,
} from '@kalam/client';
import { asAlice, eventually, startFixture, USER, USER_PASSWORD, type Fixture } from './support/fixture.js';

interface Todo {
  readonly id: bigint;
  readonly title: string;
  readonly done: boolean;
}

const SQL = 'SELECT * FROM app.todos';
let fixture: Fixture;
let client: KalamClient;

beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.close();
});
beforeEach(async () => {
  await asAlice(fixture, 'DELETE FROM app.todos WHERE id >= 0');
  client = createClient({ url: fixture.url, auth: Auth.basic(USER, USER_PASSWORD), reconnect: { baseDelayMs: 20, maxDelayMs: 100 } });
});
afterEach(async () => {
  await client.close();
});

async function insert(id: number, title: string, done = false): Promise<void> {
  await client.query('INSERT INTO app.todos (id, title, done) VALUES ($1, $2, $3)', [id, title, done]);
}

/** Resolves with the first event of `type` that `sub` delivers. */
function nextEvent<T extends SubscriptionEventType>(sub: Subscription<Todo>, type: T): Promise<EventOf<Todo, T>> {
  return new Promise((resolve) => {
    const off = sub.on(type, (e) => {
      off();
      resolve(e);
    });
  });
}

describe('createClient', () => {
  test('is lazy: no socket until the first subscription', async () => {
    expect(client.state).toBe('idle');
    await insert(1, 'milk');
    expect(client.state).toBe('idle');
    expect(await fixture.connections()).toHaveLength(0);
  });

  test('connect() authenticates; state and on("state") follow the lifecycle; disconnect() closes', async () => {
    const seen: string[] = [];
    const off = client.on('state', (snapshot) => seen.push(snapshot.state));
    await client.connect();
    expect(client.state).toBe('ready');
    expect(client.getSnapshot().state).toBe('ready');
    expect(seen).toContain('ready');
    expect(await fixture.connections()).toHaveLength(1);
    await client.disconnect();
    expect(client.state).toBe('closed');
    await eventually(async () => (await fixture.connections()).length === 0, 5000, 'connection gone');
    off();
  });

  test('wrong credentials reject with a typed AUTH_FAILED', async () => {
    const bad = createClient({ url: fixture.url, auth: Auth.basic(USER, 'nope') });
    try {
      await expect(bad.connect()).rejects.toMatchObject({ name: 'KalamError', code: 'AUTH_FAILED' });
    } finally {
      await bad.close();
    }
  });

  test('Symbol.asyncDispose closes the client', async () => {
    await client.connect();
    await client[Symbol.asyncDispose]();
    expect(['closed']).toContain(client.state);
  });
});

describe('client.subscribe', () => {
  test('resolves at ready with the snapshot delivered to onEvent; id, status, lastSeqId', async () => {
    await insert(1, 'milk');
    await insert(2, 'eggs');
    const events: Array<SubscriptionEvent<Todo>> = [];
    const sub = await client.subscribe<Todo>(SQL, { onEvent: (e) => events.push(e) });
    expect(sub.status).toBe('ready');
    expect(typeof sub.id).toBe('string');
    expect(typeof sub.lastSeqId).toBe('bigint');
    expect(sub.lastSeqId).toBeGreaterThan(0n);
    const rows = events.flatMap((e) => (e.type === 'snapshot' ? e.rows : []));
    expect(rows.map((r) => [r.id, r.title])).toEqual([
      [1n, 'milk'],
      [2n, 'eggs'],
    ]);
    expect(events.some((e) => e.type === 'snapshot' && e.final)).toBe(true);
    sub.unsubscribe();
  });

  test('typed insert, update and delete events; lastSeqId advances', async () => {
    const sub = await client.subscribe<Todo>(SQL);
    const start = sub.lastSeqId;

    const inserted = nextEvent(sub, 'insert');
    await insert(7, 'bread');
    const ins = await inserted;
    expect(ins.row).toMatchObject({ id: 7n, title: 'bread', done: false });
    expect(ins.seq).toBeGreaterThan(start);

    const updated = nextEvent(sub, 'update');
    await client.query('UPDATE app.todos SET done = true WHERE id = $1', [7]);
    const upd = await updated;
    expect(upd.row).toMatchObject({ id: 7n, done: true });
    expect(upd.oldRow).toMatchObject({ id: 7n, done: false });

    const deleted = nextEvent(sub, 'delete');
    await client.query('DELETE FROM app.todos WHERE id = $1', [7]);
    const del = await deleted;
    expect(del.oldRow).toMatchObject({ id: 7n });
    expect(sub.lastSeqId).toBe(del.seq);
    sub.unsubscribe();
  });

  test('params bind $1..$n', async () => {
    await insert(1, 'open');
    await insert(2, 'done', true);
    const rows: Todo[] = [];
    const sub = await client.subscribe<Todo>('SELECT * FROM app.todos WHERE done = $1', {
      params: [true],
      onEvent: (e) => {
        if (e.type === 'snapshot') rows.push(...e.rows);
      },
    });
    expect(rows.map((r) => r.id)).toEqual([2n]);
    sub.unsubscribe();
  });

  test('batchSize loads the snapshot in several batches; lastRows keeps the newest', async () => {
    for (let i = 1; i <= 5; i++) await insert(i, `t${i}`);
    const batches: number[] = [];
    const sub = await client.subscribe<Todo>(SQL, { batchSize: 2, onEvent: (e) => e.type === 'snapshot' && batches.push(e.rows.length) });
    expect(batches).toEqual([2, 2, 1]);
    sub.unsubscribe();

    const last: Todo[] = [];
    const tail = await client.subscribe<Todo>(SQL, { lastRows: 2, onEvent: (e) => e.type === 'snapshot' && last.push(...e.rows) });
    expect(last.map((r) => r.id)).toEqual([4n, 5n]);
    tail.unsubscribe();
  });

  test('from: resumes after a SeqId, replaying only later changes and no snapshot', async () => {
    await insert(1, 'before');
    const first = await client.subscribe<Todo>(SQL);
    const point = first.lastSeqId;
    first.unsubscribe();
    await insert(2, 'after');

    const events: Array<SubscriptionEvent<Todo>> = [];
    const inserted = new Promise<void>((resolve) => {
      void client
        .subscribe<Todo>(SQL, {
          from: point,
          onEvent: (e) => {
            events.push(e);
            if (e.type === 'insert') resolve();
          },
        })
        .then((sub) => expect(sub.status).toMatch(/ready/));
    });
    await inserted;
    expect(events.filter((e) => e.type === 'snapshot' && e.rows.length > 0)).toEqual([]);
    expect(events.filter((e) => e.type === 'insert').map((e) => (e.type === 'insert' ? e.row.id : 0n))).toEqual([2n]);
  });

  test('invalid SQL rejects with a typed KalamError and calls onError', async () => {
    const errors: KalamError[] = [];
    const error: unknown = await client.subscribe('SELECT * FROM app.nope', { onError: (e) => errors.push(e) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KalamError);
    expect((error as KalamError).code).toBe('NOT_FOUND');
    expect(errors.map((e) => e.code)).toEqual(['NOT_FOUND']);

    const unsupported = await client.subscribe('SELECT * FROM app.todos ORDER BY id').catch((e: unknown) => e);
    expect(KalamError.is(unsupported, 'UNSUPPORTED')).toBe(true);
    expect(client.listSubscriptions()).toEqual([]);
  });

  test('an already-aborted signal rejects with ABORTED and subscribes nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(client.subscribe(SQL, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(client.listSubscriptions()).toEqual([]);
    expect(client.state).toBe('idle');
  });

  test('aborting before ready rejects with ABORTED and removes the subscription', async () => {
    await client.connect();
    const controller = new AbortController();
    const pending = client.subscribe(SQL, { signal: controller.signal });
    expect(client.listSubscriptions()).toHaveLength(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'KalamError', code: 'ABORTED' });
    expect(client.listSubscriptions()).toEqual([]);
    // The subscribe went out before the abort; the unsubscribe that followed must leave nothing behind.
    const other = await client.subscribe(SQL);
    await eventually(async () => (await fixture.liveQueries()).length === 1, 5000, 'only the other live query');
    expect((await fixture.liveQueries())[0]?.subscription_id).toBe(other.id);
    other.unsubscribe();
  });

  test('aborting after ready unsubscribes on the server and ends iteration with ABORTED', async () => {
    const controller = new AbortController();
    const sub = await client.subscribe<Todo>(SQL, { signal: controller.signal });
    await eventually(async () => (await fixture.liveQueries()).length === 1, 5000, 'one live query');
    const iteration = (async () => {
      for await (const _ of sub) {
        // drain
      }
    })();
    controller.abort();
    await expect(iteration).rejects.toMatchObject({ code: 'ABORTED' });
    expect(sub.status).toBe('closed');
    await eventually(async () => (await fixture.liveQueries()).length === 0, 5000, 'live query removed');
  });

  test('async iteration yields the snapshot first, then changes; unsubscribe() ends it', async () => {
    await insert(1, 'milk');
    const sub = await client.subscribe<Todo>(SQL);
    const seen: string[] = [];
    for await (const ev of sub) {
      if (ev.type === 'snapshot') {
        seen.push(`snapshot:${ev.rows.length}`);
        if (ev.final) await insert(2, 'eggs');
      }
      if (ev.type === 'insert') {
        seen.push(`insert:${ev.row.id}`);
        sub.unsubscribe();
      }
    }
    expect(seen).toEqual(['snapshot:1', 'insert:2']);
    expect(sub.status).toBe('closed');
  });

  test('the first iterator also gets events delivered before it started; later ones start fresh', async () => {
    await insert(1, 'milk');
    const sub = await client.subscribe<Todo>(SQL);
    const inserted = nextEvent(sub, 'insert');
    await insert(2, 'eggs');
    await inserted;
    const first = sub[Symbol.asyncIterator]();
    const second = sub[Symbol.asyncIterator]();
    const types: string[] = [];
    for (;;) {
      const { value } = await first.next();
      if (value === undefined) break;
      types.push(value.type);
      if (value.type === 'insert') break;
    }
    expect(types.filter((t) => t === 'snapshot' || t === 'insert')).toEqual(['snapshot', 'insert']);
    const deleted = second.next();
    await client.query('DELETE FROM app.todos WHERE id = 1');
    expect((await deleted).value).toMatchObject({ type: 'delete', oldRow: { id: 1n } });
    await first.return?.();
    sub.unsubscribe();
    expect(await second.next()).toEqual({ done: true, value: undefined });
  });

  test('listSubscriptions() shows id, sql, params, status and lastSeqId; unsubscribe is idempotent', async () => {
    const sub = await client.subscribe<Todo>('SELECT * FROM app.todos WHERE done = $1', { params: [false] });
    const [info] = client.listSubscriptions();
    expect(info).toMatchObject({ id: sub.id, sql: 'SELECT * FROM app.todos WHERE done = $1', params: [false], status: 'ready' });
    expect(info?.lastSeqId).toBe(sub.lastSeqId);
    sub.unsubscribe();
    sub.unsubscribe();
    expect(client.listSubscriptions()).toEqual([]);
  });
});

describe('ends decided elsewhere', () => {
  test('client.close() ends iteration quietly and rejects a subscription not yet ready with CLOSED', async () => {
    const sub = await client.subscribe<Todo>(SQL);
    const iteration = (async () => {
      let count = 0;
      for await (const _ of sub) count++;
      return count;
    })();
    const pending = client.subscribe(SQL);
    await client.close();
    await expect(iteration).resolves.toBeGreaterThan(0);
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    expect(sub.status).toBe('closed');
  });

  test('KILL LIVE QUERY ends that subscription with a fatal typed error; the other one lives on', async () => {
    const victim = await client.subscribe<Todo>(SQL);
    const survivor = await client.subscribe<Todo>('SELECT * FROM app.todos WHERE done = $1', { params: [false] });
    const fatal = nextEvent(victim, 'error');
    const iteration = (async () => {
      for await (const _ of victim) {
        // drain until the server ends it
      }
    })();
    const row = (await fixture.liveQueries()).find((r) => r.subscription_id === victim.id);
    await fixture.sql(`KILL LIVE QUERY '${String(row?.live_id)}'`);
    const event = await fatal;
    expect(event.fatal).toBe(true);
    expect(event.error).toBeInstanceOf(KalamError);
    await expect(iteration).rejects.toBe(event.error);
    expect(victim.status).toBe('closed');
    const inserted = nextEvent(survivor, 'insert');
    await insert(5, 'still live');
    expect((await inserted).row.title).toBe('still live');
  });

  test('KILL CONNECTION: state killed, subscriptions fail with KILLED', async () => {
    const sub = await client.subscribe<Todo>(SQL);
    const states: string[] = [];
    client.on('state', (s) => states.push(s.state));
    const fatal = nextEvent(sub, 'error');
    const [connection] = await fixture.connections();
    await fixture.sql(`KILL CONNECTION '${String(connection?.connection_id)}'`);
    expect((await fatal).error.code).toBe('KILLED');
    expect(client.state).toBe('killed');
    expect(states).toEqual(['killed']);
    expect(client.getSnapshot().error?.code).toBe('KILLED');
  });
});

describe('client.live', () => {
  test('materialises rows and follows insert, update and delete, keeping unchanged rows identical', async () => {
    await insert(1, 'milk');
    await insert(2, 'eggs');
    const todos = client.live<Todo>(SQL);
    await todos.ready();
    expect(todos.status).toBe('ready');
    expect(todos.rows.map((r) => r.title)).toEqual(['milk', 'eggs']);
    const eggs = todos.rows[1];

    const changed = (predicate: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        const off = todos.subscribe(() => {
          if (predicate()) {
            off();
            resolve();
          }
        });
      });

    let done = changed(() => todos.rows.length === 3);
    await insert(3, 'bread');
    await done;
    done = changed(() => todos.rows[0]?.done === true);
    await client.query('UPDATE app.todos SET done = true WHERE id = 1');
    await done;
    expect(todos.rows[1]).toBe(eggs);
    done = changed(() => todos.rows.length === 2);
    await client.query('DELETE FROM app.todos WHERE id = 1');
    await done;
    expect(todos.rows.map((r) => r.id)).toEqual([2n, 3n]);
    expect(todos.getSnapshot()).toBe(todos.getSnapshot());
    expect(typeof todos.lastSeqId).toBe('bigint');
    todos.close();
    expect(todos.status).toBe('closed');
  });

  test('async iteration yields rows arrays and ends on close()', async () => {
    const todos = client.live<Todo>(SQL);
    const lengths: number[] = [];
    for await (const rows of todos) {
      lengths.push(rows.length);
      if (rows.length === 0) await insert(1, 'milk');
      else todos.close();
    }
    expect(lengths).toEqual([0, 1]);
  });

  test('identical live queries share one server subscription, closed after the linger', async () => {
    const a = client.live<Todo>(SQL);
    const b = client.live<Todo>('SELECT *   FROM app.todos');
    await Promise.all([a.ready(), b.ready()]);
    expect(a.id).toBe(b.id);
    expect(await fixture.liveQueries()).toHaveLength(1);
    a.close();
    expect(b.status).toBe('ready');
    b.close();
    await eventually(async () => (await fixture.liveQueries()).length === 0, 5000, 'shared query closed after linger');
  });

  test('peekLive() reads the shared query without holding it; key and params must match', async () => {
    await insert(1, 'milk');
    expect(client.peekLive<Todo>(SQL)).toBeUndefined();
    expect(client.state).toBe('idle'); // peeking opened nothing
    const todos = client.live<Todo>(SQL, { key: 'id' });
    await todos.ready();
    const peeked = client.peekLive<Todo>(SQL, { key: 'id' });
    expect(peeked).toBe(todos.getSnapshot());
    expect(peeked?.rows.map((t) => t.title)).toEqual(['milk']);
    expect(client.peekLive<Todo>(SQL)).toBeUndefined(); // another key option: another query
    todos.close();
    await eventually(async () => (await fixture.liveQueries()).length === 0, 5000, 'closed after the linger despite peeks');
    expect(client.peekLive<Todo>(SQL, { key: 'id' })).toBeUndefined();
  });

  test('a failing live query reports a typed error; signal closes it', async () => {
    const bad = client.live('SELECT * FROM app.nope');
    await expect(bad.ready()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(bad.status).toBe('error');
    expect(bad.error?.code).toBe('NOT_FOUND');
    bad.close();

    const controller = new AbortController();
    const todos = client.live<Todo>(SQL, { signal: controller.signal });
    await todos.ready();
    controller.abort();
    expect(todos.closed).toBe(true);
  });
});

describe('client.query', () => {
  test('returns typed rows with bigint 64-bit cells, and lastSeq for writes', async () => {
    const write = await client.query('INSERT INTO app.todos (id, title, done) VALUES ($1, $2, $3)', [9007199254740993n, 'big', false]);
    expect(write.rowCount).toBe(1);
    expect(typeof write.lastSeq).toBe('bigint');
    const { rows, columns } = await client.query<Todo>('SELECT id, title FROM app.todos WHERE id = $1', [9007199254740993n]);
    expect(rows).toEqual([{ id: 9007199254740993n, title: 'big' }]);
    expect(columns.map((c) => c.name)).toEqual(['id', 'title']);
    const all = await client.queryAll('SELECT id FROM app.todos; SELECT title FROM app.todos');
    expect(all).toHaveLength(2);
  });

  test('errors are typed: INVALID_SQL, CONFLICT, ABORTED', async () => {
    await expect(client.query('SELEC 1')).rejects.toMatchObject({ name: 'KalamError', code: 'INVALID_SQL' });
    await insert(1, 'milk');
    await expect(insert(1, 'again')).rejects.toMatchObject({ code: 'CONFLICT' });
    const controller = new AbortController();
    controller.abort();
    await expect(client.query('SELECT * FROM app.todos', [], { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
