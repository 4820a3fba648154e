/**
 * Kalam Live wire protocol v1 — one readonly type per message.
 *
 * This module is the TypeScript mirror of `protocol-spec/PROTOCOL.md`. Every field here is
 * specified there; a field marked "extension" is ours and absent from KalamDB.
 *
 * All 64-bit sequence ids are `bigint` ({@link SeqId}); on the wire they are msgpack uint64 or,
 * in JSON, decimal strings.
 *
 * @packageDocumentation
 */
import type { SeqId } from './seqId.js';

/** Protocol version implemented by this module. */
export const PROTOCOL_VERSION = 1 as const;

/** Frame serialization negotiated at authentication. */
export type Serialization = 'msgpack' | 'json';
/** Compression of server → client frames negotiated at authentication. */
export type Compression = 'none' | 'gzip';

/** Negotiated protocol options (KalamDB `ProtocolOptions`). */
export interface ProtocolOptions {
  readonly serialization: Serialization;
  readonly compression: Compression;
}

/** User role. */
export type Role = 'anonymous' | 'user' | 'service' | 'dba' | 'system';

/**
 * A cell value inside a row.
 *
 * - `bigint` for BIGINT columns and `_seq` (msgpack int64/uint64; JSON decimal string, converted
 *   by clients that hold the schema),
 * - `number` for INT/DOUBLE/TIMESTAMP (microseconds since the Unix epoch),
 * - `string`, `boolean`, `null`,
 * - `Uint8Array` for BYTES (msgpack bin; JSON array of byte numbers),
 * - arrays and maps for JSON columns.
 */
export type CellValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly CellValue[]
  | { readonly [key: string]: CellValue };

/** A row: column name → cell value. Live rows always carry `_seq`. */
export type Row = { readonly [column: string]: CellValue };

/** Statement parameter value (`$1..$n`). */
export type ParamValue = CellValue;

/** Column type names (KalamDB `KalamDataType` vocabulary). */
export type KalamDataType =
  | 'Boolean'
  | 'Int'
  | 'SmallInt'
  | 'BigInt'
  | 'Double'
  | 'Float'
  | 'Text'
  | 'Timestamp'
  | 'Date'
  | 'DateTime'
  | 'Time'
  | 'Json'
  | 'Bytes'
  | 'Uuid'
  | 'File'
  | { readonly Embedding: number }
  | { readonly Decimal: { readonly precision: number; readonly scale: number } };

/** Column flags: primary key, not null, unique. */
export type SchemaFlag = 'pk' | 'nn' | 'uq';

/** One column of a subscription's projection. */
export interface SchemaField {
  readonly name: string;
  readonly data_type: KalamDataType;
  /** 0-based position in the projection. */
  readonly index: number;
  readonly flags?: readonly SchemaFlag[];
}

/** Snapshot batch status. */
export type BatchStatus = 'loading' | 'loading_batch' | 'ready';

/** Snapshot batch control block. */
export interface BatchControl {
  /** 0-based batch number. */
  readonly batch_num: number;
  readonly has_more: boolean;
  readonly status: BatchStatus;
  /** Highest `_seq` in this batch (exclusive lower bound for `next_batch`), or `null` when empty. */
  readonly last_seq_id: SeqId | null;
}

/** Options of a `subscribe`. All optional. */
export interface SubscriptionOptions {
  /** Rows per snapshot batch. Default 1000. */
  readonly batch_size?: number;
  /** Snapshot only the newest N rows. */
  readonly last_rows?: number;
  /** Resume: deliver only what changed after this SeqId. */
  readonly from?: SeqId;
}

/** Kinds of row change. */
export type ChangeType = 'insert' | 'update' | 'delete';

/** Why the server ended a subscription (extension). */
export type UnsubscribedReason = 'killed' | 'unauthorized' | 'table_dropped' | 'auth_expired' | 'server_error';

// ---------------------------------------------------------------- client → server

/** First frame on a socket (unless the upgrade carried `Authorization: Bearer`). Also sent in-band later to refresh the token (extension). */
export interface AuthenticateMessage {
  readonly type: 'authenticate';
  readonly method: 'jwt';
  readonly token: string;
  /** Absent = `{serialization: 'json', compression: 'none'}`. */
  readonly protocol?: ProtocolOptions;
}

/** Register one live query. */
export interface SubscribeMessage {
  readonly type: 'subscribe';
  readonly subscription: {
    /** Client-chosen id, unique on the connection; non-blank. */
    readonly id: string;
    readonly sql: string;
    /** Values for `$1..$n` (extension). */
    readonly params?: readonly ParamValue[];
    /** Absent = live-only, no snapshot (KalamDB). */
    readonly options?: SubscriptionOptions;
  };
}

/** Ask for the next snapshot batch. */
export interface NextBatchMessage {
  readonly type: 'next_batch';
  readonly subscription_id: string;
  readonly last_seq_id?: SeqId | null;
}

/** End one subscription. No reply. Idempotent. */
export interface UnsubscribeMessage {
  readonly type: 'unsubscribe';
  readonly subscription_id: string;
}

/** Keepalive. The server answers `pong` (extension). */
export interface PingMessage {
  readonly type: 'ping';
}

/** Every client → server message. */
export type ClientMessage =
  | AuthenticateMessage
  | SubscribeMessage
  | NextBatchMessage
  | UnsubscribeMessage
  | PingMessage;

// ---------------------------------------------------------------- server → client

/** Authentication accepted. */
export interface AuthSuccessMessage {
  readonly type: 'auth_success';
  /** Canonical user id (the user name). */
  readonly user: string;
  readonly role: Role;
  readonly protocol: ProtocolOptions;
  /** Extension: server's id for this connection (as in `system.connections`). */
  readonly connection_id?: string;
  /** Extension: token expiry, milliseconds since the Unix epoch; absent when the token never expires. */
  readonly expires_at?: number;
}

/** Authentication refused; a close follows. */
export interface AuthErrorMessage {
  readonly type: 'auth_error';
  readonly message: string;
  /** Extension: error code, e.g. `AUTH_FAILED`. */
  readonly code?: string;
}

/** Subscription registered. */
export interface SubscriptionAckMessage {
  readonly type: 'subscription_ack';
  readonly subscription_id: string;
  /** Number of rows in the snapshot, when known (0 in KalamDB). */
  readonly total_rows: number;
  readonly batch_control: BatchControl;
  readonly schema: readonly SchemaField[];
  /**
   * Extension. Present only when `options.from` was sent: `true` = the changes after `from`
   * follow as `change` events; `false` = the server cannot resume from `from` and a fresh
   * snapshot follows — the client must discard that subscription's rows.
   */
  readonly resumed?: boolean;
}

/** One snapshot batch. */
export interface InitialDataBatchMessage {
  readonly type: 'initial_data_batch';
  readonly subscription_id: string;
  readonly rows: readonly Row[];
  readonly batch_control: BatchControl;
}

/** One row change. */
export interface ChangeMessage {
  readonly type: 'change';
  readonly subscription_id: string;
  readonly change_type: ChangeType;
  /** New row (insert, update). */
  readonly rows?: readonly Row[];
  /** Previous row (update: changed columns + pk + `_seq`; delete: whole row). */
  readonly old_values?: readonly Row[];
  /** Extension: SeqId of this change. */
  readonly seq?: SeqId;
  /** Extension: SeqId of the previous event delivered to this subscription (snapshot point or previous change). */
  readonly prev_seq?: SeqId;
}

/** An error, for one subscription or for the connection. */
export interface ErrorMessage {
  readonly type: 'error';
  /** The subscription concerned; absent (or a synthetic id such as `"protocol"`) for connection-level errors. */
  readonly subscription_id?: string;
  readonly code: string;
  readonly message: string;
}

/** Extension: answer to `ping`. */
export interface PongMessage {
  readonly type: 'pong';
}

/** Extension: the server ended a subscription on its own. */
export interface UnsubscribedMessage {
  readonly type: 'unsubscribed';
  readonly subscription_id: string;
  readonly reason: UnsubscribedReason;
}

/** Every server → client message. */
export type ServerMessage =
  | AuthSuccessMessage
  | AuthErrorMessage
  | SubscriptionAckMessage
  | InitialDataBatchMessage
  | ChangeMessage
  | ErrorMessage
  | PongMessage
  | UnsubscribedMessage;

/** Any protocol message. */
export type Message = ClientMessage | ServerMessage;

/** The `type` tags of client messages. */
export type ClientMessageType = ClientMessage['type'];
/** The `type` tags of server messages. */
export type ServerMessageType = ServerMessage['type'];

/** All client message tags, in spec order. */
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = [
  'authenticate',
  'subscribe',
  'next_batch',
  'unsubscribe',
  'ping',
];

/** All server message tags, in spec order. */
export const SERVER_MESSAGE_TYPES: readonly ServerMessageType[] = [
  'auth_success',
  'auth_error',
  'subscription_ack',
  'initial_data_batch',
  'change',
  'error',
  'pong',
  'unsubscribed',
];
