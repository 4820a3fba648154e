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
  /** Frame encoding after authentication. */
  readonly serialization: Serialization;
  /** Compression of large server frames. */
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
  | {
      /** Vector of floats with this many dimensions. */
      readonly Embedding: number;
    }
  | {
      /** Fixed-point decimal. */
      readonly Decimal: {
        /** Total number of digits. */
        readonly precision: number;
        /** Digits after the decimal point. */
        readonly scale: number;
      };
    };

/** Column flags: primary key, not null, unique. */
export type SchemaFlag = 'pk' | 'nn' | 'uq';

/** One column of a subscription's projection. */
export interface SchemaField {
  /** Column name as it appears in rows. */
  readonly name: string;
  /** Column type. */
  readonly data_type: KalamDataType;
  /** 0-based position in the projection. */
  readonly index: number;
  /** `pk` marks a primary-key column (live result sets key rows by it by default). */
  readonly flags?: readonly SchemaFlag[];
}

/** Snapshot batch status. */
export type BatchStatus = 'loading' | 'loading_batch' | 'ready';

/** Snapshot batch control block. */
export interface BatchControl {
  /** 0-based batch number. */
  readonly batch_num: number;
  /** More batches follow (the client asks with `next_batch`). */
  readonly has_more: boolean;
  /** `ready` on the last batch. */
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
  /** Message tag. */
  readonly type: 'authenticate';
  /** Authentication method; only `jwt` in v1. */
  readonly method: 'jwt';
  /** The JWT. */
  readonly token: string;
  /** Absent = `{serialization: 'json', compression: 'none'}`. */
  readonly protocol?: ProtocolOptions;
}

/** Register one live query. */
export interface SubscribeMessage {
  /** Message tag. */
  readonly type: 'subscribe';
  /** The live query. */
  readonly subscription: {
    /** Client-chosen id, unique on the connection; non-blank. */
    readonly id: string;
    /** A `SELECT` over one table. */
    readonly sql: string;
    /** Values for `$1..$n` (extension). */
    readonly params?: readonly ParamValue[];
    /** Absent = live-only, no snapshot (KalamDB). */
    readonly options?: SubscriptionOptions;
  };
}

/** Ask for the next snapshot batch. */
export interface NextBatchMessage {
  /** Message tag. */
  readonly type: 'next_batch';
  /** The subscription whose snapshot continues. */
  readonly subscription_id: string;
  /** `batch_control.last_seq_id` of the previous batch. */
  readonly last_seq_id?: SeqId | null;
}

/** End one subscription. No reply. Idempotent. */
export interface UnsubscribeMessage {
  /** Message tag. */
  readonly type: 'unsubscribe';
  /** The subscription to end. */
  readonly subscription_id: string;
}

/** Keepalive. The server answers `pong` (extension). */
export interface PingMessage {
  /** Message tag. */
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
  /** Message tag. */
  readonly type: 'auth_success';
  /** Canonical user id (the user name). */
  readonly user: string;
  /** The user's role. */
  readonly role: Role;
  /** The protocol options in force from the next frame on. */
  readonly protocol: ProtocolOptions;
  /** Extension: server's id for this connection (as in `system.connections`). */
  readonly connection_id?: string;
  /** Extension: token expiry, milliseconds since the Unix epoch; absent when the token never expires. */
  readonly expires_at?: number;
}

/** Authentication refused; a close follows. */
export interface AuthErrorMessage {
  /** Message tag. */
  readonly type: 'auth_error';
  /** Human-readable reason. */
  readonly message: string;
  /** Extension: error code, e.g. `AUTH_FAILED`. */
  readonly code?: string;
}

/** Subscription registered. */
export interface SubscriptionAckMessage {
  /** Message tag. */
  readonly type: 'subscription_ack';
  /** The acknowledged subscription. */
  readonly subscription_id: string;
  /** Number of rows in the snapshot, when known (0 in KalamDB). */
  readonly total_rows: number;
  /** State of the snapshot that follows. */
  readonly batch_control: BatchControl;
  /** The projection's columns. */
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
  /** Message tag. */
  readonly type: 'initial_data_batch';
  /** The subscription this batch belongs to. */
  readonly subscription_id: string;
  /** Snapshot rows, `_seq` ascending. */
  readonly rows: readonly Row[];
  /** Batch number, whether more follow, and the batch's highest `_seq`. */
  readonly batch_control: BatchControl;
}

/** One row change. */
export interface ChangeMessage {
  /** Message tag. */
  readonly type: 'change';
  /** The subscription this change belongs to. */
  readonly subscription_id: string;
  /** Insert, update or delete (a row leaving the WHERE is a delete, one entering it an insert). */
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
  /** Message tag. */
  readonly type: 'error';
  /** The subscription concerned; absent (or a synthetic id such as `"protocol"`) for connection-level errors. */
  readonly subscription_id?: string;
  /** An {@link ErrorCode} value (or a code this version does not know). */
  readonly code: string;
  /** Human-readable description. */
  readonly message: string;
}

/** Extension: answer to `ping`. */
export interface PongMessage {
  /** Message tag. */
  readonly type: 'pong';
}

/** Extension: the server ended a subscription on its own. */
export interface UnsubscribedMessage {
  /** Message tag. */
  readonly type: 'unsubscribed';
  /** The subscription that ended. */
  readonly subscription_id: string;
  /** Why it ended. */
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
