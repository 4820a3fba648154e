/**
 * `createInspector`: a store of what a link is doing — lifecycle state, recent transitions with
 * their reasons, every subscription's status and resume point, reconnects, the last close and
 * the last frames — built only from the link's public events, for dev panels in any app.
 */
import type { ConnectionState, LastClose } from '../connection/connectionMachine.js';
import type { FrameInfo } from '../connection/deps.js';
import type { KalamLink } from '../link.js';
import type { SubscriptionInfo } from '../subscriptions/types.js';

/** A state change as the inspector records it. */
export interface InspectorTransition {
  /** The connection state before the transition. */
  readonly from: ConnectionState;
  /** The connection state after it. */
  readonly to: ConnectionState;
  /**
   * Why: for a lost or stopped connection the close reason or error message (when there is one);
   * otherwise, and on the way back to `ready`, the machine event's name.
   */
  readonly reason: string;
  /** The machine event that caused it (e.g. `SOCKET_CLOSE`). */
  readonly event: string;
  /** When it happened (ms since epoch, from `options.now`). */
  readonly at: number;
}

/** A frame as the inspector records it. */
export interface InspectorFrame extends FrameInfo {
  /** When it was seen (ms since epoch, from `options.now`). */
  readonly at: number;
}

/** Everything the inspector shows. The same object until something changes. */
export interface InspectorSnapshot {
  /** The link's current connection state (`idle`, `connecting`, …, `ready`, `reconnecting`, …). */
  readonly state: ConnectionState;
  /** The last transitions, oldest first. */
  readonly transitions: readonly InspectorTransition[];
  /** `link.listSubscriptions()`: id, sql, status, lastSeqId and events delivered of each. */
  readonly subscriptions: readonly SubscriptionInfo[];
  /** Reconnects started since the link was created. */
  readonly reconnects: number;
  /** The last WebSocket close (code, reason, what the client did about it); `undefined` before any. */
  readonly lastClose: LastClose | undefined;
  /** The last frames in and out, oldest first. */
  readonly frames: readonly InspectorFrame[];
  /** Frames seen since the inspector was created (including those no longer kept). */
  readonly framesSeen: number;
}

/**
 * What {@link createInspector} reads of a link: its public events and snapshots only (so a link
 * from another copy of the package, e.g. a bundled one, works too).
 */
export type InspectableLink = Pick<KalamLink, 'on' | 'getSnapshot' | 'listSubscriptions'>;

/** Options of {@link createInspector}. */
export interface InspectorOptions {
  /** Frames kept. @default 50 */
  readonly maxFrames?: number;
  /** Transitions kept. @default 50 */
  readonly maxTransitions?: number;
  /** Clock for the `at` fields. @default Date.now */
  readonly now?: () => number;
}

/** The inspector store: `subscribe`/`getSnapshot` (for `useSyncExternalStore`), `refresh`, `dispose`. */
export interface Inspector {
  /** The current snapshot; a new object only after something changed. */
  getSnapshot(): InspectorSnapshot;
  /** Run `listener` after every snapshot change. Returns a function that removes it. */
  subscribe(listener: () => void): () => void;
  /** Re-read the subscription list now (it is otherwise re-read after every link event). */
  refresh(): void;
  /** Stop listening to the link. Idempotent. */
  dispose(): void;
}

const PROGRESS: ReadonlySet<ConnectionState> = new Set(['connecting', 'authenticating', 'ready']);

function sameSubscriptions(a: readonly SubscriptionInfo[], b: readonly SubscriptionInfo[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i];
    return y !== undefined && x.id === y.id && x.status === y.status && x.lastSeqId === y.lastSeqId && x.eventsDelivered === y.eventsDelivered && x.sql === y.sql;
  });
}

function pushBounded<T>(list: readonly T[], item: T, max: number): readonly T[] {
  const next = list.length >= max ? list.slice(list.length - max + 1) : list.slice();
  next.push(item);
  return next;
}

/**
 * Watch a link through its public events (`state`, `transition`, `frame`) and keep a bounded,
 * immutable snapshot of it. Listeners are notified once per burst of events (a microtask later),
 * so a frame and the registry work it causes show up together.
 *
 * @example
 * ```ts
 * const inspector = createInspector(client.link, { maxFrames: 20 });
 * inspector.subscribe(() => console.log(inspector.getSnapshot().state));
 * // React: const view = useSyncExternalStore(inspector.subscribe, inspector.getSnapshot);
 * inspector.dispose();
 * ```
 */
export function createInspector(link: InspectableLink, options: InspectorOptions = {}): Inspector {
  const maxFrames = Math.max(1, options.maxFrames ?? 50);
  const maxTransitions = Math.max(1, options.maxTransitions ?? 50);
  const now = options.now ?? Date.now;
  const listeners = new Set<() => void>();
  const initial = link.getSnapshot();
  let snapshot: InspectorSnapshot = {
    state: initial.state,
    transitions: [],
    subscriptions: link.listSubscriptions(),
    reconnects: initial.reconnects,
    lastClose: initial.lastClose,
    frames: [],
    framesSeen: 0,
  };
  let draft: { -readonly [K in keyof InspectorSnapshot]: InspectorSnapshot[K] } = { ...snapshot };
  let scheduled = false;
  let disposed = false;

  const flush = (): void => {
    scheduled = false;
    if (disposed) return;
    const subscriptions = link.listSubscriptions();
    if (!sameSubscriptions(subscriptions, snapshot.subscriptions)) draft.subscriptions = subscriptions;
    const changed = (Object.keys(draft) as Array<keyof InspectorSnapshot>).some((key) => draft[key] !== snapshot[key]);
    if (!changed) return;
    snapshot = { ...draft };
    draft = { ...snapshot };
    for (const listener of [...listeners]) listener();
  };
  const schedule = (): void => {
    if (scheduled || disposed) return;
    scheduled = true;
    queueMicrotask(flush);
  };

  const offs = [
    link.on('state', (s) => {
      draft.state = s.state;
      draft.reconnects = s.reconnects;
      draft.lastClose = s.lastClose;
      schedule();
    }),
    link.on('transition', (t) => {
      // The link's reason is the last close/error, still set while the connection recovers; on
      // progress towards ready the machine event is the better answer to "why".
      const reason = PROGRESS.has(t.to) ? t.event : (t.reason ?? t.event);
      draft.transitions = pushBounded(draft.transitions, { from: t.from, to: t.to, reason, event: t.event, at: now() }, maxTransitions);
      schedule();
    }),
    link.on('frame', (f) => {
      draft.frames = pushBounded(draft.frames, { ...f, at: now() }, maxFrames);
      draft.framesSeen += 1;
      schedule();
    }),
  ];

  return {
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    refresh: schedule,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const off of offs) off();
      listeners.clear();
    },
  };
}
