/**
 * `@kalam/link` — the Kalam Live protocol core: wire protocol, codecs, the connection lifecycle,
 * multiplexed subscriptions with SeqId resume, and live result sets.
 *
 * @packageDocumentation
 */
// Link facade first: bundlers emit modules in import order, and this path reaches eventemitter3,
// xstate and @msgpack/msgpack before any module of ours (link.ts → connectionMachine.ts →
// socketActor.ts → msgpackCodec.ts each import them first). With the libraries ahead of our code
// instead of between it, gzip's 32 KB window spans our own modules: 0.4 KB less after gzip.
export { createLink, KalamLink } from './link.js';
// Protocol: every type; of the runtime values, those an application uses. Validators, codec
// factories and the SeqId bit-field helpers are in `@kalam/link/protocol`.
export type * from './protocol/messages.js';
export { PROTOCOL_VERSION } from './protocol/messages.js';
export { CloseCode, closeAction, ErrorCode } from './protocol/codes.js';
export type { CloseCodeValue, CloseAction, ErrorCodeValue } from './protocol/codes.js';
export { compareSeqId, formatSeqId, isSeqId, parseSeqId } from './protocol/seqId.js';
export type { SeqId } from './protocol/seqId.js';
export type { Codec, Frame } from './protocol/codec.js';
export { KalamError } from './errors.js';
export type { KalamErrorCode, KalamErrorOptions } from './errors.js';

// Link facade (createLink and KalamLink: at the top)
export type { ConnectionSnapshot, TransitionInfo, LinkEventMap, QueryCallOptions, LiveOptions, LinkSharingOptions } from './link.js';
export type { LinkOptions, ReconnectOptions, Timers } from './options.js';
export { Auth } from './auth.js';
export type { AuthProvider, AuthContext, TokenInfo, ProvidedToken } from './auth.js';
export { executeSql, login } from './http.js';
export type { FetchLike, QueryResult, LoginResult } from './http.js';

// Connection lifecycle (for other SDKs' authors)
export { connectionMachine, connectionStateOf, refreshDelayMs } from './connection/connectionMachine.js';
export type { ConnectionState, ConnectionContext, ConnectionEvent, ConnectionInput, ControlEvent, LastClose, ConnectionMachineSnapshot } from './connection/connectionMachine.js';
export type { ConnectionDeps, FrameInfo, Transport } from './connection/deps.js';
export type { SocketCommand, SocketEvent, SocketInput } from './connection/socketActor.js';
export type { FetchTokenInput } from './connection/authActor.js';
export type { EnvironmentEvent } from './connection/environmentActor.js';
export { backoffDelay, backoffCeiling, reconnectDelay, resolveReconnectOptions, SPREAD_OUT_CLOSE_CODES } from './connection/backoff.js';
export type { ResolvedReconnectOptions } from './connection/backoff.js';
export type { WebSocketLike, WebSocketConstructor } from './transport/webSocketLike.js';
export { webSocketUrl } from './transport/webSocketLike.js';

// Subscriptions
export type {
  SubscriptionStatus,
  SubscriptionEvent,
  AckEvent,
  SnapshotEvent,
  ResetEvent,
  InsertEvent,
  UpdateEvent,
  DeleteEvent,
  StatusEvent,
  ErrorEvent,
  ChangeEvent,
  SubscribeOptions,
  SubscriptionInfo,
  SubscriptionHandle,
} from './subscriptions/types.js';
export { SubscriptionRegistry } from './subscriptions/subscriptionRegistry.js';
export type { RegistryHost } from './subscriptions/subscriptionRegistry.js';
export type { SubscriptionOwner } from './subscriptions/subscription.js';
export { LiveRows } from './subscriptions/liveRows.js';
export type { LiveRowsSnapshot, LiveRowsOptions } from './subscriptions/liveRows.js';
export { LiveQuery } from './subscriptions/liveQuery.js';
export type { LiveQueryViewOptions } from './subscriptions/liveQuery.js';
export { SharedQueryCache, liveQueryKey } from './subscriptions/sharedQueries.js';
export type { SharedLiveQuery, SharedLiveQueryOptions, SharedQueryCacheOptions, SubscriptionFactory, LingerTimers } from './subscriptions/sharedQueries.js';
export { primaryKeyColumns } from './subscriptions/rowKey.js';
export type { RowKeyOption, RowKeyFn } from './subscriptions/rowKey.js';

// Inspector (dev panels): `createInspector` is in `@kalam/link/inspect`.
export type { Inspector, InspectorOptions, InspectorSnapshot, InspectorTransition, InspectorFrame } from './inspect/inspector.js';
