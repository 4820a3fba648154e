/**
 * LiveQuery and shared live queries over a real link and the real reference server: the
 * materialised rows equal the server's SELECT after inserts, NULL updates, deletes, rows leaving
 * and entering the WHERE and socket drops — in both serializations and in KalamDB compat mode.
 */
import { createLink, type KalamLink } from '../../src/link.js';
import type { Row } from '../../src/protocol/messages.js';
import type { LiveQuery } from '../../src/subscriptions/liveQuery.js';
import { adminAuth, eventually, RecordingWs, startTestServer, type TestServer } from '../support/server.js';
import { trackUnhandledRejections } from '../support/rejections.js';

interface Item {
  readonly id: number;
  readonly v: string | null;
  readonly grp: number;
}

const rejections = trackUnhandledRejections();

const canon = (rows: readonly Row[] | readonly Item[]): string =>
  JSON.stringify(
    (rows as readonly Row[]).map((r) => [r['id'], r['v'] ?? null, r['grp']]).sort((a, b) => (a[0] as number) - (b[0] as number)),
  );

describe.each([
  ['msgpack', undefined],
  ['json', undefined],
  ['msgpack', 'kalamdb'],
] as const)('LiveQuery over the reference server (%s, compat %s)', (serialization, compat) => {
  let t: TestServer;
  const links: KalamLink[] = [];
  let n = 0;

  beforeAll(async () => {
    t = await startTestServer(compat === undefined ? {} : { compat });
    await t.sql('CREATE NAMESPACE app');
  });
  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.close()));
    expect(rejections).toEqual([]);
  });
  afterAll(async () => {
    await t.close();
  });

  function link(ws = new RecordingWs()): KalamLink {
    const l = createLink({ url: t.url, auth: adminAuth(), WebSocket: ws.WebSocket, serialization, reconnect: { baseDelayMs: 20, maxDelayMs: 100 }, liveQueryLingerMs: 50 });
    links.push(l);
    return l;
  }

  async function table(): Promise<string> {
    const name = `app.items${++n}`;
    await t.sql(`CREATE USER TABLE ${name} (id INT PRIMARY KEY, v TEXT, grp INT)`);
    return name;
  }

  async function matches(query: LiveQuery<Item>, select: string): Promise<void> {
    let expected = '';
    await eventually(
      async () => {
        const [result] = await t.sql(select);
        expected = canon(result?.rows ?? []);
        return canon(query.rows) === expected;
      },
      5000,
      `rows = ${select}`,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n  live   ${canon(query.rows)}\n  server ${expected}`);
    });
  }

  test('rows follow inserts, NULL updates, deletes and the WHERE; unchanged rows keep identity', async () => {
    const name = await table();
    await t.sql(`INSERT INTO ${name} (id, v, grp) VALUES (1, 'a', 1), (2, 'b', 1), (3, 'c', 2)`);
    const l = link();
    const query = l.live<Item>(`SELECT * FROM ${name} WHERE grp = 1`);
    await query.ready();
    const where = `SELECT * FROM ${name} WHERE grp = 1`;
    await matches(query, where);
    const first = query.rows.find((r) => r.id === 1);

    await t.sql(`UPDATE ${name} SET v = NULL WHERE id = 2`);
    await matches(query, where);
    expect(query.rows.find((r) => r.id === 2)).toHaveProperty('v', null);
    expect(query.rows.find((r) => r.id === 1)).toBe(first);

    await t.sql(`UPDATE ${name} SET grp = 2 WHERE id = 1`); // leaves
    await t.sql(`UPDATE ${name} SET grp = 1 WHERE id = 3`); // enters
    await t.sql(`INSERT INTO ${name} (id, v, grp) VALUES (4, 'd', 1)`);
    await t.sql(`DELETE FROM ${name} WHERE id = 4`);
    await t.sql(`UPDATE ${name} SET v = 'B' WHERE id = 2`);
    await matches(query, where);
    expect(query.status).toBe('ready');
    query.close();
    expect(query.status).toBe('closed');
  });

  test('rows equal the server after socket drops with writes during the outage', async () => {
    const name = await table();
    await t.sql(`INSERT INTO ${name} (id, v, grp) VALUES (1, 'a', 1), (2, 'b', 1)`);
    const ws = new RecordingWs();
    const query = link(ws).live<Item>(`SELECT * FROM ${name}`);
    await query.ready();
    for (let round = 0; round < 3; round++) {
      ws.dropAll();
      await t.sql(`INSERT INTO ${name} (id, v, grp) VALUES (${10 + round}, 'n', 1)`);
      await t.sql(`UPDATE ${name} SET v = NULL WHERE id = 1`);
      await t.sql(`UPDATE ${name} SET v = 'r${round}' WHERE id = 2`);
      await matches(query, `SELECT * FROM ${name}`);
    }
    if (compat === undefined) {
      // KalamDB resumes with snapshot rows only, so a delete during an outage is lost there (documented).
      ws.dropAll();
      await t.sql(`DELETE FROM ${name} WHERE id = 10`);
      await matches(query, `SELECT * FROM ${name}`);
    }
  });

  test('shared live queries: many users, one server subscription, closed one linger after the last release', async () => {
    const name = await table();
    const l = link();
    const sql = `SELECT * FROM ${name} WHERE grp = $1`;
    const holds = Array.from({ length: 10 }, (_, i) => l.acquireLive<Item>(i % 2 === 0 ? sql : `  ${sql.replace(' WHERE', '\n WHERE')} `, { params: [1] }));
    expect(new Set(holds.map((h) => h.query)).size).toBe(1);
    const query = holds[0]?.query as LiveQuery<Item>;
    await query.ready();
    const [live] = await t.sql('SELECT * FROM system.live_queries');
    expect(live?.rows).toHaveLength(1);
    await t.sql(`INSERT INTO ${name} (id, v, grp) VALUES (1, 'a', 1)`);
    await matches(query, `SELECT * FROM ${name} WHERE grp = 1`);
    expect(l.peekLive<Item>(sql, { params: [1] })).toBe(query.getSnapshot());
    expect(l.peekLive<Item>(sql, { params: [2] })).toBeUndefined();
    for (const h of holds) h.release();
    expect(l.peekLive<Item>(sql, { params: [1] })?.rows).toEqual(query.rows); // lingering
    const again = l.acquireLive<Item>(sql, { params: [1] }); // within the linger: reused
    expect(again.query).toBe(query);
    again.release();
    await eventually(() => query.status === 'closed', 2000, 'closed after linger');
    await eventually(async () => ((await t.sql('SELECT * FROM system.live_queries'))[0]?.rows.length ?? -1) === 0, 2000, 'server unsubscribed');
    expect(l.peekLive<Item>(sql, { params: [1] })).toBeUndefined();
    expect(l.listSubscriptions()).toEqual([]); // peeking opened nothing
  });
});
