import { LiveRegistry, routeKey } from '../../../server/src/live/registry.js';

interface Conn { id: string; user: string }
interface Sub { tableId: string; kind: 'user' | 'shared'; partition: string; name: string; routeOrder: number }

const sub = (name: string, kind: 'user' | 'shared', partition: string, tableId: string): Sub => ({ name, kind, partition, tableId, routeOrder: -1 });

describe('LiveRegistry', () => {
  it('routes a user-table change only to that user\'s subscriptions on that table', () => {
    const r = new LiveRegistry<Conn, Sub>();
    const mine = sub('mine', 'user', 'alice', 'app.todos');
    const otherUser = sub('bob', 'user', 'bob', 'app.todos');
    const otherTable = sub('other', 'user', 'alice', 'app.notes');
    for (const s of [mine, otherUser, otherTable]) r.addRoute(s);
    expect([...(r.routesFor('user', 'alice', 'app.todos') ?? [])]).toEqual([mine]);
    expect(r.routesFor('user', 'carol', 'app.todos')).toBeUndefined();
  });

  it('routes a shared-table change to every subscriber of that table, whatever the user', () => {
    const r = new LiveRegistry<Conn, Sub>();
    const a = sub('a', 'shared', '', 'app.news');
    const b = sub('b', 'shared', '', 'app.news');
    r.addRoute(a);
    r.addRoute(b);
    expect(new Set(r.routesFor('shared', '', 'app.news'))).toEqual(new Set([a, b]));
  });

  it('does not confuse a user named like a table with a shared table', () => {
    expect(routeKey('user', 'app', 'news')).not.toBe(routeKey('shared', '', 'app\u0000news'.replace('\u0000', '.')));
    expect(routeKey('user', 'a', 'b.c')).toBe('a\u0000b.c');
  });

  it('removes routes and empty buckets; removal is idempotent', () => {
    const r = new LiveRegistry<Conn, Sub>();
    const a = sub('a', 'user', 'alice', 't.x');
    r.addRoute(a);
    r.track(a);
    expect(r.routeCount).toBe(1);
    r.remove(a);
    r.remove(a);
    expect(r.routeCount).toBe(0);
    expect(r.subscriptionsOn('t.x')).toEqual([]);
  });

  it('indexes connections by id and by user', () => {
    const r = new LiveRegistry<Conn, Sub>();
    const c1 = { id: 'c1', user: 'alice' };
    const c2 = { id: 'c2', user: 'alice' };
    const c3 = { id: 'c3', user: 'bob' };
    for (const c of [c1, c2, c3]) r.addConnection(c);
    expect(r.connection('c2')).toBe(c2);
    expect(r.connectionCount('alice')).toBe(2);
    expect(r.connectionsOf('bob')).toEqual([c3]);
    r.removeConnection(c1);
    expect(r.connection('c1')).toBeUndefined();
    expect(r.connectionsOf('alice')).toEqual([c2]);
    r.removeConnection(c2);
    expect(r.connectionCount('alice')).toBe(0);
  });

  it('tracks every subscription of a table across users (for DROP TABLE)', () => {
    const r = new LiveRegistry<Conn, Sub>();
    const a = sub('a', 'user', 'alice', 't.x');
    const b = sub('b', 'user', 'bob', 't.x');
    r.track(a);
    r.track(b);
    expect(new Set(r.subscriptionsOn('t.x'))).toEqual(new Set([a, b]));
  });
});
