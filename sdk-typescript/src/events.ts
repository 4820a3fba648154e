/**
 * Typed subscription events. The event types themselves are kalam-link's (generic over the row
 * type, `Row` by default), re-exported so there is one definition; only the helpers that the
 * `Subscription` API needs on top of them live here.
 */
import type { SubscriptionEvent } from '@kalam/link';

export type {
  AckEvent,
  DeleteEvent,
  ErrorEvent,
  InsertEvent,
  ResetEvent,
  SnapshotEvent,
  StatusEvent,
  SubscriptionEvent,
  UpdateEvent,
} from '@kalam/link';

/**
 * The `type` tags of {@link SubscriptionEvent}.
 *
 * @example
 * ```ts
 * const t: SubscriptionEventType = 'insert';
 * ```
 */
export type SubscriptionEventType = SubscriptionEvent<unknown>['type'];

/**
 * The event with tag `T`, its rows typed as `R`.
 *
 * @example
 * ```ts
 * type Ins = EventOf<Todo, 'insert'>; // InsertEvent<Todo>
 * ```
 */
export type EventOf<R, T extends SubscriptionEventType> = Extract<SubscriptionEvent<R>, { readonly type: T }>;
