/**
 * Item 3: server routing cost per change as unrelated users' subscriptions grow. A USER table
 * (one partition per user); `users` other users hold `subsPerUser` subscriptions each on it (their
 * own partitions: a change by the writer concerns none of them). The writer inserts `rows` rows
 * into its own partition (multi-row INSERTs) while its one subscription receives them. Figure:
 * server CPU per change (HTTP + SQL + RocksDB + routing + one delivery); routing that is O(1) in
 * unrelated subscriptions keeps it flat.
 */
import { startKalam, JWT_SECRET } from '../lib/kalamServer.mjs';
import { mintToken } from '../lib/jwt.mjs';
import { postJson } from '../lib/kalamHttp.mjs';
import { forkChild } from '../lib/child.mjs';
import { TITLE, BODY } from '../lib/payload.mjs';
import { sleep } from '../lib/clock.mjs';

const TABLE = 'bench.items';

export async function run({ users = 10, subsPerUser = 1, rows = 4000, batch = 20, profile = false }) {
  const kalam = await startKalam({ table: false });
  const holder = await forkChild('holder-child.mjs');
  try {
    await kalam.sql('CREATE NAMESPACE bench');
    await kalam.sql(`CREATE USER TABLE ${TABLE} (id BIGINT PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, ts DOUBLE NOT NULL)`);
    const names = ['writer', ...Array.from({ length: users }, (_, i) => `other${i}`)];
    await kalam.sql(names.map((n) => `CREATE USER ${n} WITH PASSWORD 'bench-pw-${n}' ROLE user`).join('; '));
    const conns = names.map((n, i) => ({
      token: mintToken(JWT_SECRET, n),
      subs: Array.from({ length: i === 0 ? 1 : subsPerUser }, (_, k) => (k === 0 ? `SELECT * FROM ${TABLE}` : `SELECT * FROM ${TABLE} WHERE id > ${k}`)),
    }));
    const ready = await holder.request({ cmd: 'open', url: kalam.wsUrl, conns }, 'ready', 300_000);
    const expectedSubs = 1 + users * subsPerUser;
    if (ready.acks !== expectedSubs) throw new Error(`routing: ${ready.acks}/${expectedSubs} subscriptions acknowledged (${ready.errors} errors)`);
    const stats = kalam.server.stats();
    const writer = { authorization: `Bearer ${conns[0].token}` };
    const insert = async (first, n) => {
      const values = [];
      for (let i = 0; i < n; i++) values.push(`(${first + i}, '${TITLE}', '${BODY}', 1.5)`);
      const res = await postJson(kalam.url, '/v1/api/sql', { sql: `INSERT INTO ${TABLE} (id, title, body, ts) VALUES ${values.join(', ')}` }, writer);
      if (res.status !== 200) throw new Error(`insert failed: ${res.status} ${JSON.stringify(res.body)}`);
    };
    // Warm-up (JIT, RocksDB memtable), then the measured writes, two requests in flight.
    for (let i = 0; i < 500; i += batch) await insert(1_000_000 + i, batch);
    await sleep(100);
    const profiler = profile ? await (await import('../lib/profiler.mjs')).startProfiler() : null;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < rows) {
        const first = next;
        next += batch;
        await insert(first, Math.min(batch, rows - first));
      }
    };
    await Promise.all([lane(), lane()]);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    const prof = profiler ? await profiler.stop(`routing ${users}x${subsPerUser}`) : undefined;
    // The writer's own subscription must have everything (warm-up included).
    const deadline = Date.now() + 30_000;
    let delivered = 0;
    while (Date.now() < deadline) {
      delivered = (await holder.request({ cmd: 'stats' }, 'stats')).changes;
      if (delivered >= rows + 500) break;
      await sleep(20);
    }
    return {
      users, subsPerUser, subscriptions: stats.subscriptions, connections: stats.connections, rows,
      serverUsPerChange: (cpu.user + cpu.system) / rows,
      wallUsPerChange: (wallMs * 1000) / rows,
      delivered, complete: delivered === rows + 500,
      ...(prof ? { profile: prof } : {}),
    };
  } finally {
    await holder.exit();
    await kalam.close();
  }
}
