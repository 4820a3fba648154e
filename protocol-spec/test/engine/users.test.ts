/** DROP USER purges the user's partitions (rows, _seq index, change log) and resets resume points; DISABLE keeps rows. */
import { join } from 'node:path';
import type { Principal } from '../../server/src/engine/index.js';
import { openKvStore } from '../../server/src/store/kv.js';
import { P, parsePartitionRef, readU64 } from '../../server/src/store/keys.js';
import { admin, alice, expectCode, sql1, tempEngine } from './helpers.js';

const bob: Principal = { user: 'bob', role: 'user' };

/** Partitions (by key prefix) holding keys in the raw store, and the change-log bookkeeping. */
async function rawState(dir: string): Promise<{ partitions: Map<string, number>; orderEntries: number; logCount: number }> {
  const kv = await openKvStore(join(dir, 'db'));
  try {
    const partitions = new Map<string, number>();
    let orderEntries = 0;
    let logCount = 0;
    for await (const { key, value } of kv.range({})) {
      const p = key[0];
      if (p === P.row || p === P.seqIndex || p === P.change) {
        const ref = parsePartitionRef(key.subarray(1, key.indexOf(0, 5)));
        const k = `${String.fromCharCode(p)}:${ref.partition}`;
        partitions.set(k, (partitions.get(k) ?? 0) + 1);
      } else if (p === P.logOrder) orderEntries++;
      else if (key.toString('utf8') === 'Mlogcount') logCount = Number(readU64(value, 0));
    }
    return { partitions, orderEntries, logCount };
  } finally {
    await kv.close();
  }
}

describe('DROP USER', () => {
  test("purges the user's rows and change log in every user table; a re-created user starts empty and cannot resume into them", async () => {
    const t = await tempEngine();
    try {
      let e = t.engine;
      await e.execute(
        `CREATE NAMESPACE app;
         CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT);
         CREATE USER TABLE app.todos (id INT PRIMARY KEY, done BOOLEAN);
         CREATE SHARED TABLE app.config (k TEXT PRIMARY KEY, v TEXT)`,
        [],
        admin,
      );
      await e.createUser('bob', 'pw', 'user');
      const before = e.currentSeq();
      await sql1(e, bob, "INSERT INTO app.notes VALUES (1, 'secret-1'), (2, 'secret-2')");
      await sql1(e, bob, "UPDATE app.notes SET body = 'secret-1b' WHERE id = 1");
      await sql1(e, bob, 'INSERT INTO app.todos VALUES (1, true)');
      await sql1(e, alice, "INSERT INTO app.notes VALUES (1, 'alice-1')");
      await sql1(e, admin, "INSERT INTO app.config VALUES ('theme', 'dark')");
      const bobPos = e.currentSeq();
      expect(e.isRetained('app.notes', 'bob', before)).toBe(true);

      await sql1(e, admin, 'DROP USER bob');
      expect(e.getUser('bob')).toBeUndefined();
      // no pre-drop position of bob's partitions is retained, and reading them is refused
      for (const pos of [before, bobPos, e.currentSeq() - 1n]) {
        expect(e.isRetained('app.notes', 'bob', pos)).toBe(false);
        expect(e.isRetained('app.todos', 'bob', pos)).toBe(false);
      }
      await expectCode(e.readChanges('app.notes', 'bob', before, e.currentSeq(), 100), 'CONFLICT');
      // late statements of the dropped user's still-open sessions are refused
      await expectCode(sql1(e, bob, "INSERT INTO app.notes VALUES (9, 'late')"), 'AUTH_REVOKED');
      // other users and shared tables are untouched
      expect((await sql1(e, alice, 'SELECT body FROM app.notes')).rows).toEqual([{ body: 'alice-1' }]);
      expect((await sql1(e, admin, 'SELECT v FROM app.config')).rows).toEqual([{ v: 'dark' }]);
      expect(e.isRetained('app.notes', 'alice', before)).toBe(true);

      await e.createUser('bob', 'pw2', 'user');
      expect(e.getUser('bob')?.createdAt).toBeGreaterThan(0);
      const fresh = e.currentSeq();
      expect((await sql1(e, bob, 'SELECT * FROM app.notes')).rows).toEqual([]);
      expect((await sql1(e, bob, 'SELECT * FROM app.todos')).rows).toEqual([]);
      const snap = e.openSnapshot();
      expect((await snap.scan(e.planLiveQuery('SELECT * FROM app.notes', [], bob), { limit: 10 })).rows).toEqual([]);
      expect(await snap.count(e.planLiveQuery('SELECT * FROM app.notes', [], bob))).toBe(0);
      snap.release();
      expect(e.isRetained('app.notes', 'bob', fresh)).toBe(true);
      expect(e.isRetained('app.notes', 'bob', bobPos)).toBe(false);
      await sql1(e, bob, "INSERT INTO app.notes VALUES (1, 'new-bob')");
      expect((await e.readChanges('app.notes', 'bob', fresh, e.currentSeq(), 100)).map((c) => c.newRow?.['body'])).toEqual(['new-bob']);

      // the reset survives a restart
      e = await t.reopen();
      expect(e.isRetained('app.notes', 'bob', bobPos)).toBe(false);
      expect(e.isRetained('app.notes', 'bob', fresh)).toBe(true);
      expect((await sql1(e, bob, 'SELECT body FROM app.notes')).rows).toEqual([{ body: 'new-bob' }]);

      await sql1(e, admin, 'DROP USER bob');
      await e.close();
      const raw = await rawState(t.dir);
      expect([...raw.partitions.keys()].filter((k) => k.endsWith(':bob'))).toEqual([]);
      expect(raw.partitions.get('r:alice')).toBe(1);
      // the global log order index holds exactly the retained entries (nothing dangling)
      expect(raw.orderEntries).toBe(raw.partitions.get('c:alice')! + raw.partitions.get('c:')!);
      expect(raw.logCount).toBe(raw.orderEntries);
    } finally {
      await t.cleanup();
    }
  });

  test('a purge larger than one batch leaves no change-log entry behind', async () => {
    const t = await tempEngine();
    try {
      const e = t.engine;
      await e.execute('CREATE NAMESPACE app; CREATE USER TABLE app.big (id INT PRIMARY KEY)', [], admin);
      await e.createUser('bob', 'pw', 'user');
      const values = Array.from({ length: 6000 }, (_, i) => `(${i})`).join(',');
      await sql1(e, bob, `INSERT INTO app.big VALUES ${values}`);
      await sql1(e, admin, 'DROP USER bob');
      await e.close();
      const raw = await rawState(t.dir);
      expect(raw.partitions.size).toBe(0);
      expect(raw.orderEntries).toBe(0);
      expect(raw.logCount).toBe(0);
    } finally {
      await t.cleanup();
    }
  });
});

describe('ALTER USER DISABLE', () => {
  test("keeps the user's rows, refuses their writes and logins until ENABLE", async () => {
    const t = await tempEngine();
    try {
      const e = t.engine;
      await e.execute('CREATE NAMESPACE app; CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT)', [], admin);
      await e.createUser('bob', 'pw', 'user');
      const before = e.currentSeq();
      await sql1(e, bob, "INSERT INTO app.notes VALUES (1, 'kept')");
      await sql1(e, admin, 'ALTER USER bob DISABLE');
      expect(e.getUser('bob')?.enabled).toBe(false);
      expect(await e.verifyPassword('bob', 'pw')).toBeNull();
      await expectCode(sql1(e, bob, "INSERT INTO app.notes VALUES (2, 'no')"), 'AUTH_REVOKED');
      await expectCode(sql1(e, bob, 'DELETE FROM app.notes'), 'AUTH_REVOKED');
      expect(e.isRetained('app.notes', 'bob', before)).toBe(true);
      await sql1(e, admin, 'ALTER USER bob ENABLE');
      expect((await sql1(e, bob, 'SELECT body FROM app.notes')).rows).toEqual([{ body: 'kept' }]);
      await sql1(e, bob, "INSERT INTO app.notes VALUES (2, 'back')");
      expect((await e.readChanges('app.notes', 'bob', before, e.currentSeq(), 10)).length).toBe(2);
    } finally {
      await t.cleanup();
    }
  });
});
