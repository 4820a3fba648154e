/**
 * `system.live_queries` store over a real RocksDB: a burst of writes larger than one batch lands
 * completely and in order, and a reader issued after the burst sees all of it.
 */
import { tempEngine } from '../../engine/helpers.js';
import { LiveQueryStore, type LiveQueryRecord } from '../../../server/src/system/liveQueries.js';

function record(conn: string, sub: number): LiveQueryRecord {
  return {
    live_id: `${conn}:s${sub}`,
    connection_id: conn,
    subscription_id: `s${sub}`,
    user_id: 'admin',
    namespace: 'app',
    table_name: 't',
    query: `SELECT * FROM app.t WHERE id > ${sub}`,
    options: 'null',
    status: 'active',
    created_at: 1_700_000_000_000_000 + sub,
  };
}

describe('LiveQueryStore', () => {
  test('a burst of 2,500 puts and deletes in one tick (three batches) reads back exactly, in order', async () => {
    const t = await tempEngine();
    try {
      const store = new LiveQueryStore(t.engine.kv('test:live_queries'), (id) => (id === 'c1:s7' ? { last_seq_id: '9', changes: 3, last_ping_at: null } : undefined));
      for (let i = 0; i < 2500; i++) store.put(record(i < 1200 ? 'c1' : 'c2', i));
      // deletes issued after the puts in the same tick must win, also across batch boundaries
      store.delete(['c1:s0', 'c2:s2499', 'c2:s1500']);
      store.put(record('c2', 1500)); // and a re-put after its delete
      const rows = await store.rows();
      const ids = rows.map((r) => r['live_id']);
      const expected = Array.from({ length: 2500 }, (_, i) => `${i < 1200 ? 'c1' : 'c2'}:s${i}`).filter((id) => id !== 'c1:s0' && id !== 'c2:s2499');
      expect(ids.sort()).toEqual(expected.sort());
      const r7 = rows.find((r) => r['live_id'] === 'c1:s7')!;
      expect(r7).toMatchObject({ connection_id: 'c1', subscription_id: 's7', query: 'SELECT * FROM app.t WHERE id > 7', status: 'active', changes: 3n, last_seq_id: '9' });
      store.delete(expected);
      await store.flush();
      expect(await store.rows()).toEqual([]);
      expect(store.failure).toBeUndefined();
    } finally {
      await t.cleanup();
    }
  });
});
