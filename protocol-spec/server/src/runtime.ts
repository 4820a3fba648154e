/**
 * The server's live half in one place: the engine, tokens, codecs, the connection/route registry,
 * `system.live_queries`, fan-out of committed changes, KILL, revocation and table drops.
 */
import { CloseCode, KalamError } from '@kalam/link/protocol';
import type { CommittedChange, Engine, KillRequest, Unlisten } from './engine/types.js';
import type { ResolvedConfig } from './config.js';
import type { TokenService } from './auth/jwt.js';
import { LiveRegistry } from './live/registry.js';
import type { RoutePin } from './sql/pins.js';
import { LivePlan } from './engine/live.js';
import { WireSeq } from './live/encode.js';
import type { FanoutMemo, LiveSubscription } from './live/subscription.js';
import { LiveQueryStore, type LiveCounters } from './system/liveQueries.js';
import { connectionsTable } from './system/connections.js';
import { createCodecs, type Codecs } from './transport/frames.js';
import type { Session } from './session.js';

/** Shared state of one running server. */
export class Runtime {
  readonly registry = new LiveRegistry<Session, LiveSubscription>({ pin: (sub) => this.#pin(sub) });
  readonly codecs: Codecs;
  readonly liveQueries: LiveQueryStore;
  /** Every open session, authenticated or not (for shutdown). */
  readonly sessions = new Set<Session>();
  readonly #unlisten: Unlisten[] = [];

  constructor(
    readonly engine: Engine,
    readonly config: ResolvedConfig,
    readonly tokens: TokenService,
  ) {
    this.codecs = createCodecs(config.limits.maxFrameBytes);
    this.liveQueries = new LiveQueryStore(engine.kv('rt:live_queries'), (liveId) => this.#counters(liveId));
  }

  /** Purge stale rows and hook into the engine. */
  async start(): Promise<void> {
    await this.liveQueries.purge();
    const { engine } = this;
    engine.registerSystemTable('live_queries', this.liveQueries.provider());
    engine.registerSystemTable(
      'connections',
      connectionsTable(() =>
        [...this.registry.connections()].map((s) => ({
          id: s.id,
          user: s.user,
          remoteAddress: s.remoteAddress,
          createdAt: s.createdAt,
          lastPingAt: s.lastActivityAt,
          subscriptionCount: s.subscriptions.size,
          serialization: s.serialization,
        })),
      ),
    );
    engine.setKillHandler((request) => this.kill(request));
    this.#unlisten.push(
      engine.onCommit((changes) => this.fanout(changes)),
      engine.onUserChange((change) => {
        if (change.kind === 'dropped' || change.kind === 'disabled') this.revoke(change.user);
      }),
      engine.onTableDropped(({ tableId }) => {
        for (const sub of this.registry.subscriptionsOn(tableId)) sub.host.endSubscription(sub.id, 'table_dropped');
      }),
    );
  }

  /** Route committed changes to live subscriptions: O(1) lookup per change, one encoding per projection. */
  fanout(changes: readonly CommittedChange[]): void {
    this.#route(changes);
  }

  #route(changes: readonly CommittedChange[]): void {
    for (const change of changes) {
      const subs = this.registry.routeChange(change.kind, change.partition, change.tableId, change.oldRow, change.newRow);
      if (subs === undefined) continue;
      const memo: FanoutMemo = { outcomes: new Map(), encoded: new Map(), seq: new WireSeq(change.seq) };
      for (const sub of subs) {
        try {
          sub.onLiveChange(change, memo);
        } catch (e) {
          sub.host.abort(sub, `cannot deliver change ${change.seq}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }

  /** Close every connection of `user` with 4003 (DROP USER / ALTER USER DISABLE). */
  revoke(user: string): void {
    for (const session of this.registry.connectionsOf(user)) session.close(CloseCode.AUTH_REVOKED, 'user revoked');
  }

  /** KILL CONNECTION / KILL LIVE QUERY; resolves once the rows are gone from RocksDB. */
  async kill(request: KillRequest): Promise<void> {
    if (request.kind === 'connection') {
      const session = this.registry.connection(request.id);
      if (session === undefined) throw new KalamError('NOT_FOUND', `no connection ${request.id}`);
      session.close(CloseCode.KILLED, 'killed by administrator');
    } else {
      const at = request.id.indexOf(':');
      const session = at < 0 ? undefined : this.registry.connection(request.id.slice(0, at));
      if (session === undefined || !session.endSubscription(request.id.slice(at + 1), 'killed')) {
        throw new KalamError('NOT_FOUND', `no live query ${request.id}`);
      }
    }
    await this.liveQueries.flush();
  }

  /** A subscription was acknowledged: write its row. */
  subscriptionAcknowledged(session: Session, sub: LiveSubscription): void {
    const plan = sub.plan;
    this.liveQueries.put({
      live_id: liveId(session, sub),
      connection_id: session.id,
      subscription_id: sub.id,
      user_id: session.user,
      namespace: plan.namespace,
      table_name: plan.tableName,
      query: sub.sql,
      options: JSON.stringify(sub.options ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(10) : v)),
      status: 'active',
      created_at: sub.createdAt * 1000,
    });
  }

  /** A subscription ended: stop routing, release, delete its row (same tick). */
  subscriptionEnded(sub: LiveSubscription, session: Session): void {
    sub.dispose();
    this.registry.remove(sub);
    this.liveQueries.delete([liveId(session, sub)]);
  }

  /** A session is gone: forget it and every subscription it had. */
  sessionClosed(session: Session, subs: readonly LiveSubscription[]): void {
    this.sessions.delete(session);
    for (const sub of subs) {
      sub.dispose();
      this.registry.remove(sub);
    }
    this.liveQueries.delete(subs.map((sub) => liveId(session, sub)));
    this.registry.removeConnection(session);
  }

  /** Unhook from the engine. */
  stop(): void {
    for (const u of this.#unlisten.splice(0)) u();
  }

  /** The route pin its plan computed from the WHERE it compiled (plans from elsewhere: none). */
  #pin(sub: LiveSubscription): RoutePin | null {
    return sub.plan instanceof LivePlan ? sub.plan.routePin : null;
  }

  #counters(id: string): LiveCounters | undefined {
    const at = id.indexOf(':');
    const session = this.registry.connection(id.slice(0, at));
    const sub = session?.subscriptions.get(id.slice(at + 1));
    if (session === undefined || sub === undefined) return undefined;
    return {
      last_seq_id: sub.lastSeq.toString(10),
      changes: sub.changes,
      last_ping_at: session.lastActivityAt * 1000,
    };
  }
}

function liveId(session: Session, sub: LiveSubscription): string {
  return `${session.id}:${sub.id}`;
}
