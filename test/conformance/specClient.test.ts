/**
 * Issue 3 "done when", checked by a client written from PROTOCOL.md alone, in both
 * serializations: snapshot batches, live insert/update/delete with the seq/prev_seq chain,
 * leave/enter WHERE, resume after a dropped socket with missed writes (deletes too), resume across
 * a server restart, resume beyond retention, header auth, ping/pong and in-band re-auth. Every
 * server frame passes the spec validator; the final view equals HTTP SELECT.
 */
import { barrier, drainUntil, LiveView, loadSnapshot, sortedHttpRows, type Row } from './support/liveView.js';
import { connect, SpecSocket, type Msg, type Serialization } from './support/specClient.js';
import { startFixture, type Fixture } from './support/fixture.js';

const SERIALIZATIONS: readonly Serialization[] = ['json', 'msgpack'];
let fx: Fixture;
let tiny: Fixture;
const sockets: SpecSocket[] = [];

beforeAll(async () => {
  fx = await startFixture({}, SERIALIZATIONS.map((s) => `t_${s}`));
  tiny = await startFixture({ changelogRetentionEntries: 3 }, SERIALIZATIONS.map((s) => `t_${s}`));
});
afterEach(async () => {
  for (const s of sockets.splice(0)) {
    expect(s.invalid).toEqual([]);
    await s.close();
  }
});
afterAll(async () => {
  await fx.stop();
  await tiny.stop();
});

async function open(f: Fixture, ser: Serialization, token = f.aliceToken): Promise<SpecSocket> {
  const s = await connect(f.wsUrl, token, ser);
  sockets.push(s);
  return s;
}

/** The server's rows for a query, as alice over HTTP (with `_seq`). */
async function httpRows(f: Fixture, table: string, where = ''): Promise<Row[]> {
  const [res] = await f.http.ok(f.aliceToken, `SELECT *, _seq FROM conf.${table}${where}`);
  return sortedHttpRows(res!.rows);
}

const bc = (m: Msg): Record<string, unknown> => m['batch_control'] as Record<string, unknown>;

describe.each(SERIALIZATIONS)('spec-only client, %s frames', (ser) => {
  const table = `t_${ser}`;
  const T = `conf.${table}`;
  const write = (sql: string, params?: unknown[]): Promise<bigint> => fx.http.write(fx.aliceToken, sql, params);

  test('snapshot in batches (batch_size + next_batch), then live insert/update/delete chained by seq/prev_seq', async () => {
    await write(`INSERT INTO ${T} (id, label, qty) VALUES (1,'a',1),(2,'b',2),(3,'c',3),(4,'d',4),(5,'e',5),(6,'f',6),(7,'g',7)`);
    const s = await open(fx, ser);
    s.send({ type: 'subscribe', subscription: { id: 'all', sql: `SELECT * FROM ${T}`, options: { batch_size: 3 } } });
    const view = new LiveView();
    const { ack, batches } = await loadSnapshot(s, 'all', view);
    expect(ack['total_rows']).toBe(7);
    expect(ack['resumed']).toBeUndefined();
    expect(ack['schema']).toEqual([
      { name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] },
      { name: 'label', data_type: 'Text', index: 1 },
      { name: 'qty', data_type: 'Int', index: 2 },
    ]);
    expect(bc(ack)).toEqual(bc(batches[0]!));
    expect(batches.map((b) => [(b['rows'] as Row[]).length, bc(b)['batch_num'], bc(b)['has_more'], bc(b)['status']])).toEqual([
      [3, 0, true, 'loading'], [3, 1, true, 'loading_batch'], [1, 2, false, 'ready'],
    ]);
    const firstRows = batches[0]!['rows'] as Row[];
    expect(bc(batches[0]!)['last_seq_id']).toBe(firstRows[2]!['_seq']);
    expect(view.sorted()).toEqual(await httpRows(fx, table));
    const S = view.lastSeq;

    const seqs = [
      await write(`INSERT INTO ${T} (id, label, qty) VALUES (100, 'new', 50)`),
      await write(`UPDATE ${T} SET label = NULL WHERE id = 1`),
      await write(`DELETE FROM ${T} WHERE id = 2`),
    ];
    await drainUntil(s, 'all', view, seqs[2]!);
    expect(view.problems).toEqual([]);
    expect(view.changeSeqs).toEqual(seqs);
    expect(view.changes.map((c) => c['change_type'])).toEqual(['insert', 'update', 'delete']);
    expect(view.changes[0]!['prev_seq']).toBe(S);
    expect((view.changes[1]!['rows'] as Row[])[0]).toEqual(expect.objectContaining({ label: null, _seq: seqs[1] }));
    expect(view.changes[2]!['rows']).toBeUndefined();
    expect(view.sorted()).toEqual(await httpRows(fx, table));
    // §3.3: after auth_success every server frame uses the negotiated serialization.
    const after = s.log.filter((f) => f.dir === '←').slice(1);
    expect(after.every((f) => f.binary === (ser === 'msgpack'))).toBe(true);
  });

  test('last_rows: N snapshots the newest N rows in one ascending batch', async () => {
    const s = await open(fx, ser);
    s.send({ type: 'subscribe', subscription: { id: 'last', sql: `SELECT id FROM ${T}`, options: { last_rows: 2 } } });
    const view = new LiveView();
    const { batches } = await loadSnapshot(s, 'last', view);
    expect(batches).toHaveLength(1);
    const all = (await fx.http.ok(fx.aliceToken, `SELECT id, _seq FROM ${T}`))[0]!.rows.map((r) => BigInt(r['_seq'] as string)).sort((a, b) => (a < b ? -1 : 1));
    expect((batches[0]!['rows'] as Row[]).map((r) => r['_seq'])).toEqual(all.slice(-2));
    expect(view.problems).toEqual([]);
  });

  test('rows leaving and entering a WHERE (with params) arrive as delete and insert; invisible updates send nothing', async () => {
    const s = await open(fx, ser);
    s.send({ type: 'subscribe', subscription: { id: 'big', sql: `SELECT * FROM ${T} WHERE qty > $1`, params: [10], options: {} } });
    const view = new LiveView();
    await loadSnapshot(s, 'big', view);
    const enter = await write(`INSERT INTO ${T} (id, label, qty) VALUES (200, 'w', 50)`);
    const leave = await write(`UPDATE ${T} SET qty = 5 WHERE id = 200`);
    await write(`UPDATE ${T} SET qty = 6 WHERE id = 200`);
    const back = await write(`UPDATE ${T} SET qty = 60 WHERE id = 200`);
    await write(`INSERT INTO ${T} (id, label, qty) VALUES (201, 'small', 1)`);
    const marker = await write(`INSERT INTO ${T} (id, label, qty) VALUES (202, 'm', 99)`);
    await drainUntil(s, 'big', view, marker);
    expect(view.problems).toEqual([]);
    expect(view.changes.map((c) => [c['change_type'], c['seq']])).toEqual([['insert', enter], ['delete', leave], ['insert', back], ['insert', marker]]);
    expect((view.changes[1]!['old_values'] as Row[])[0]).toEqual(expect.objectContaining({ qty: 50 }));
    expect((view.changes[2]!['rows'] as Row[])[0]).toEqual(expect.objectContaining({ qty: 60, _seq: back }));
    expect(view.sorted()).toEqual(await httpRows(fx, table, ' WHERE qty > 10'));
  });

  test('drop the socket, miss inserts/updates/deletes/leave/enter, resume with from: exactly the missed changes, no snapshot', async () => {
    const s1 = await open(fx, ser);
    s1.send({ type: 'subscribe', subscription: { id: 'all', sql: `SELECT * FROM ${T}`, options: {} } });
    s1.send({ type: 'subscribe', subscription: { id: 'big', sql: `SELECT * FROM ${T} WHERE qty > 10` } });
    const all = new LiveView();
    const big = new LiveView();
    await loadSnapshot(s1, 'all', all);
    const liveAck = await s1.nextOf('big');
    expect([liveAck.type, liveAck['total_rows'], bc(liveAck)['has_more'], bc(liveAck)['status'], bc(liveAck)['batch_num']]).toEqual(['subscription_ack', 0, false, 'ready', 0]);
    big.lastSeq = bc(liveAck)['last_seq_id'] as bigint;
    for (const r of await httpRows(fx, table, ' WHERE qty > 10')) big.rows.set(String(r['id']), { ...r, _seq: BigInt(r['_seq'] as string) });
    const warm = await write(`INSERT INTO ${T} (id, label, qty) VALUES (300, 'x', 30)`);
    await drainUntil(s1, 'all', all, warm);
    await drainUntil(s1, 'big', big, warm);
    s1.ws.terminate();
    await s1.closed;

    const missed = [
      await write(`INSERT INTO ${T} (id, label, qty) VALUES (301, 'y', 3)`),
      await write(`UPDATE ${T} SET label = 'x2' WHERE id = 300`),
      await write(`UPDATE ${T} SET qty = 2 WHERE id = 300`),
      await write(`UPDATE ${T} SET qty = 40 WHERE id = 301`),
      await write(`DELETE FROM ${T} WHERE id = 3`),
      await write(`DELETE FROM ${T} WHERE id = 301`),
      await write(`INSERT INTO ${T} (id, label, qty) VALUES (302, 'z', 11)`),
    ];
    const inBig = [false, true, true, true, false, true, true];
    const s2 = await open(fx, ser);
    s2.send({ type: 'subscribe', subscription: { id: 'all', sql: `SELECT * FROM ${T}`, options: { from: all.lastSeq } } });
    s2.send({ type: 'subscribe', subscription: { id: 'big', sql: `SELECT * FROM ${T} WHERE qty > 10`, options: { from: big.lastSeq } } });
    for (const [id, view] of [['all', all], ['big', big]] as const) {
      const ack = await s2.nextOf(id);
      expect(ack.type).toBe('subscription_ack');
      expect(ack['resumed']).toBe(true);
      expect(bc(ack)).toEqual({ batch_num: 0, has_more: false, status: 'ready', last_seq_id: view.lastSeq });
    }
    const last = missed[missed.length - 1]!;
    await drainUntil(s2, 'all', all, last);
    await drainUntil(s2, 'big', big, last);
    await barrier(s2);
    expect(s2.pending()).toEqual([]);
    expect(all.problems).toEqual([]);
    expect(big.problems).toEqual([]);
    expect(all.changeSeqs).toEqual([warm, ...missed]);
    expect(big.changeSeqs).toEqual([warm, ...missed.filter((_m, i) => inBig[i])]);
    expect(big.changes.slice(1).map((c) => c['change_type'])).toEqual(['update', 'delete', 'insert', 'delete', 'insert']);
    expect(all.sorted()).toEqual(await httpRows(fx, table));
    expect(big.sorted()).toEqual(await httpRows(fx, table, ' WHERE qty > 10'));
  });

  test('resume across a server restart from a SeqId issued before it (old token still valid)', async () => {
    const s1 = await open(fx, ser);
    s1.send({ type: 'subscribe', subscription: { id: 'r', sql: `SELECT * FROM ${T}`, options: { batch_size: 4 } } });
    const view = new LiveView();
    await loadSnapshot(s1, 'r', view);
    await s1.close();
    const before = [await write(`INSERT INTO ${T} (id, label, qty) VALUES (400, 'r', 1)`), await write(`DELETE FROM ${T} WHERE id = 4`)];
    await fx.restart();
    const after = [
      await write(`UPDATE ${T} SET label = 'rr' WHERE id = 400`),
      await write(`DELETE FROM ${T} WHERE id = 5`),
      await write(`INSERT INTO ${T} (id, label, qty) VALUES (401, 's', 2)`),
    ];
    expect(after[0]! > before[1]!).toBe(true);
    const s2 = await open(fx, ser);
    s2.send({ type: 'subscribe', subscription: { id: 'r', sql: `SELECT * FROM ${T}`, options: { from: view.lastSeq } } });
    const ack = await s2.nextOf('r');
    expect([ack.type, ack['resumed']]).toEqual(['subscription_ack', true]);
    await drainUntil(s2, 'r', view, after[2]!);
    expect(view.problems).toEqual([]);
    expect(view.changeSeqs).toEqual([...before, ...after]);
    expect(view.sorted()).toEqual(await httpRows(fx, table));
  });

  test('resume from a position older than the retained change log → resumed:false and a fresh snapshot', async () => {
    const tinyWrite = (sql: string): Promise<bigint> => tiny.http.write(tiny.aliceToken, sql);
    await tinyWrite(`INSERT INTO ${T} (id, label, qty) VALUES (1, 'a', 1), (2, 'b', 2)`);
    const s1 = await open(tiny, ser);
    s1.send({ type: 'subscribe', subscription: { id: 'old', sql: `SELECT * FROM ${T}`, options: {} } });
    const view = new LiveView();
    await loadSnapshot(s1, 'old', view);
    await s1.close();
    for (let i = 10; i < 20; i++) await tinyWrite(`INSERT INTO ${T} (id, label, qty) VALUES (${i}, 'n', ${i})`);
    await tinyWrite(`DELETE FROM ${T} WHERE id = 1`);
    const s2 = await open(tiny, ser);
    s2.send({ type: 'subscribe', subscription: { id: 'old', sql: `SELECT * FROM ${T}`, options: { from: view.lastSeq, batch_size: 5 } } });
    const fresh = new LiveView();
    const { ack, batches } = await loadSnapshot(s2, 'old', fresh);
    expect(ack['resumed']).toBe(false);
    expect(ack['total_rows']).toBe(11);
    expect(batches).toHaveLength(3);
    expect(fresh.problems).toEqual([]);
    const [res] = await tiny.http.ok(tiny.aliceToken, `SELECT *, _seq FROM ${T}`);
    expect(fresh.sorted()).toEqual(sortedHttpRows(res!.rows));
  });

  test('header auth (Bearer on the upgrade + ?serialization=) gets auth_success unprompted, as a JSON text frame', async () => {
    const s = await SpecSocket.open(fx.wsUrl, { bearer: fx.aliceToken, query: `serialization=${ser.toUpperCase()}&compression=none` });
    sockets.push(s);
    const ok = await s.nextType('auth_success');
    expect(s.log[0]!.binary).toBe(false);
    expect(ok['protocol']).toEqual({ serialization: ser, compression: 'none' });
    expect(ok['user']).toBe('alice');
    s.send({ type: 'subscribe', subscription: { id: 'h', sql: `SELECT * FROM ${T}` } });
    expect((await s.nextOf('h')).type).toBe('subscription_ack');
    expect(s.log[s.log.length - 1]!.binary).toBe(ser === 'msgpack');
  });

  test('ping → pong, and in-band re-authentication keeps subscriptions; another user\'s token → auth_error + 4001', async () => {
    const s = await open(fx, ser);
    s.send({ type: 'ping' });
    expect(await s.nextType('pong')).toEqual({ type: 'pong' });
    s.send({ type: 'subscribe', subscription: { id: 'ra', sql: `SELECT * FROM ${T}` } });
    const ack = await s.nextOf('ra');
    const view = new LiveView();
    view.lastSeq = bc(ack)['last_seq_id'] as bigint;
    const fresh = await fx.http.login('alice', 'alice-pw');
    s.send({ type: 'authenticate', method: 'jwt', token: fresh });
    const again = await s.next((m) => m.type === 'auth_success' || m.type === 'auth_error');
    expect(again.type).toBe('auth_success');
    expect(typeof again['expires_at']).toBe('number');
    expect(s.log[s.log.length - 1]!.binary).toBe(false);
    expect(s.serialization).toBe(ser);
    const seq = await write(`INSERT INTO ${T} (id, label, qty) VALUES (500, 'after-reauth', 1)`);
    await drainUntil(s, 'ra', view, seq);
    expect(view.problems).toEqual([]);
    s.send({ type: 'authenticate', method: 'jwt', token: fx.adminToken });
    const refused = await s.nextType('auth_error');
    expect(refused['code']).toBe('AUTH_FAILED');
    expect((await s.closed).code).toBe(4001);
  });
});
