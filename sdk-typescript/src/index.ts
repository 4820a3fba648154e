/**
 * `@kalam/client` — the Kalam Live TypeScript SDK: promise and async-iterator APIs for live SQL
 * queries over one WebSocket. A thin, typed layer over `@kalam/link`, which owns the connection
 * lifecycle, resume and the shared live-query cache.
 *
 * @packageDocumentation
 */
export { createClient, KalamClient } from './client.js';
export type { QueryResult } from './client.js';
export { Subscription } from './subscription.js';
export type { SubscriptionHooks } from './subscription.js';
export { LiveQuery } from './liveQuery.js';
export type { ClientOptions, ClientSubscribeOptions, LiveOptions, QueryOptions } from './options.js';
export type {
  AckEvent,
  DeleteEvent,
  ErrorEvent,
  EventOf,
  InsertEvent,
  ResetEvent,
  SnapshotEvent,
  StatusEvent,
  SubscriptionEvent,
  SubscriptionEventType,
  UpdateEvent,
} from './events.js';
export { Auth, KalamError, ErrorCode, CloseCode } from '@kalam/link';
export type {
  AuthProvider,
  CellValue,
  ConnectionSnapshot,
  ConnectionState,
  FetchLike,
  FrameInfo,
  KalamErrorCode,
  LastClose,
  LinkEventMap,
  ReconnectOptions,
  TransitionInfo,
  WebSocketConstructor,
  LiveRowsSnapshot,
  ParamValue,
  Row,
  RowKeyOption,
  SchemaField,
  SeqId,
  SubscriptionInfo,
  SubscriptionStatus,
} from '@kalam/link';
export type { Inspector, InspectorOptions, InspectorSnapshot, InspectorTransition, InspectorFrame } from '@kalam/link';
