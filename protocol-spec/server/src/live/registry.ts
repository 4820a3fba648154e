/**
 * Where live changes go: O(1) maps from a change's (user, table) — or table, for shared tables —
 * to the subscriptions that can see it, plus connection indexes for kill, revocation and limits.
 * Nothing here scans other users, connections or subscriptions. Within one route, subscriptions
 * whose WHERE pins a column are found by the changed rows' values (routeIndex.ts).
 */
import type { Row } from '@kalam/link/protocol';
import type { RoutePin } from '../sql/pins.js';
import { RouteIndex } from './routeIndex.js';

/** What the registry needs from a connection. */
export interface RegisteredConnection {
  readonly id: string;
  /** User name; set once authenticated. */
  readonly user: string;
}

/** What the registry needs from a subscription. */
export interface RoutedSubscription {
  readonly tableId: string;
  readonly kind: 'user' | 'shared';
  /** Owner partition: the subscriber's user name for user tables, `''` for shared tables. */
  readonly partition: string;
  /**
   * Registration order among routed subscriptions, written by {@link LiveRegistry} only (−1: not
   * routed). Kept on the subscription so the registry holds no map entry per subscription for it.
   */
  routeOrder: number;
}

/** Route key of a change or subscription: `user\0table` for user tables, `table` for shared ones. */
export function routeKey(kind: 'user' | 'shared', partition: string, tableId: string): string {
  return kind === 'user' ? `${partition}\u0000${tableId}` : tableId;
}

/** Options of {@link LiveRegistry}. */
export interface LiveRegistryOptions<S> {
  /**
   * The route pin of a subscription's WHERE (sql/pins.ts), read when it starts and when it stops
   * routing (so it must not change in between); null or absent: the subscription is visited by
   * every change of its route.
   */
  readonly pin?: (sub: S) => RoutePin | null;
}

/** Connection and route indexes. */
export class LiveRegistry<C extends RegisteredConnection, S extends RoutedSubscription> {
  readonly #connections = new Map<string, C>();
  readonly #byUser = new Map<string, Map<string, C>>();
  readonly #routes = new Map<string, RouteIndex<S>>();
  readonly #byTable = new Map<string, Set<S>>();
  #order = 0;
  readonly #pinOf: ((sub: S) => RoutePin | null) | undefined;

  constructor(options: LiveRegistryOptions<S> = {}) {
    this.#pinOf = options.pin;
  }

  /** Register an authenticated connection. */
  addConnection(connection: C): void {
    this.#connections.set(connection.id, connection);
    let mine = this.#byUser.get(connection.user);
    if (mine === undefined) this.#byUser.set(connection.user, (mine = new Map()));
    mine.set(connection.id, connection);
  }

  /** Forget a connection (its subscriptions must be removed separately). */
  removeConnection(connection: C): void {
    if (this.#connections.get(connection.id) !== connection) return;
    this.#connections.delete(connection.id);
    const mine = this.#byUser.get(connection.user);
    mine?.delete(connection.id);
    if (mine?.size === 0) this.#byUser.delete(connection.user);
  }

  /** Connection by id. */
  connection(id: string): C | undefined {
    return this.#connections.get(id);
  }

  /** Every connection (for `system.connections`). */
  connections(): IterableIterator<C> {
    return this.#connections.values();
  }

  /** Connections of one user. */
  connectionsOf(user: string): readonly C[] {
    const mine = this.#byUser.get(user);
    return mine === undefined ? [] : [...mine.values()];
  }

  /** Number of connections of one user. */
  connectionCount(user: string): number {
    return this.#byUser.get(user)?.size ?? 0;
  }

  /** Index a subscription by table (for DROP TABLE), whatever its state. */
  track(sub: S): void {
    let set = this.#byTable.get(sub.tableId);
    if (set === undefined) this.#byTable.set(sub.tableId, (set = new Set()));
    set.add(sub);
  }

  /** Start routing live changes to `sub`. */
  addRoute(sub: S): void {
    if (sub.routeOrder >= 0) return;
    const pin = this.#pinOf?.(sub) ?? null;
    sub.routeOrder = this.#order++;
    const key = routeKey(sub.kind, sub.partition, sub.tableId);
    let route = this.#routes.get(key);
    if (route === undefined) this.#routes.set(key, (route = new RouteIndex()));
    route.add(sub, pin);
  }

  /** Stop routing to `sub` and drop it from every index. Idempotent. */
  remove(sub: S): void {
    if (sub.routeOrder >= 0) {
      sub.routeOrder = -1;
      const key = routeKey(sub.kind, sub.partition, sub.tableId);
      const route = this.#routes.get(key);
      if (route?.remove(sub, this.#pinOf?.(sub) ?? null) === true && route.size === 0) this.#routes.delete(key);
    }
    const tracked = this.#byTable.get(sub.tableId);
    if (tracked?.delete(sub) === true && tracked.size === 0) this.#byTable.delete(sub.tableId);
  }

  /** Every live subscription a change of (kind, partition, table) can reach, in registration order. */
  routesFor(kind: 'user' | 'shared', partition: string, tableId: string): ReadonlySet<S> | undefined {
    return this.#routes.get(routeKey(kind, partition, tableId))?.all;
  }

  /**
   * The live subscriptions a change of (kind, partition, table) from `oldRow` to `newRow` may
   * concern, in registration order: every one whose WHERE accepts either row is among them.
   */
  routeChange(kind: 'user' | 'shared', partition: string, tableId: string, oldRow: Row | null, newRow: Row | null): Iterable<S> | undefined {
    const route = this.#routes.get(routeKey(kind, partition, tableId));
    if (route === undefined) return undefined;
    if (!route.indexed) return route.all;
    const sets = route.candidates(oldRow, newRow);
    if (sets.length <= 1) return sets[0] ?? [];
    const found = new Set<S>();
    for (const set of sets) for (const sub of set) found.add(sub);
    return [...found].sort((a, b) => a.routeOrder - b.routeOrder);
  }

  /** Every subscription on a table, any user, any state. */
  subscriptionsOn(tableId: string): readonly S[] {
    const set = this.#byTable.get(tableId);
    return set === undefined ? [] : [...set];
  }

  /** Number of route keys (for stats). */
  get routeCount(): number {
    return this.#routes.size;
  }
}
