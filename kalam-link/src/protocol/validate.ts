/**
 * Structural validation of protocol v1 messages (PROTOCOL.md §Messages).
 *
 * Validation builds a fresh envelope holding only the known fields (unknown extra fields are
 * ignored for forward compatibility) but reuses row arrays and row objects as they are: a
 * 1,000-row batch is checked, not copied.
 */
import { KalamError } from '../errors.js';
import type {
  AuthenticateMessage,
  AuthErrorMessage,
  AuthSuccessMessage,
  BatchControl,
  CellValue,
  ChangeMessage,
  ClientMessage,
  ErrorMessage,
  InitialDataBatchMessage,
  KalamDataType,
  Message,
  NextBatchMessage,
  ParamValue,
  ProtocolOptions,
  Row,
  SchemaField,
  SchemaFlag,
  ServerMessage,
  SubscribeMessage,
  SubscriptionAckMessage,
  SubscriptionOptions,
  UnsubscribedMessage,
} from './messages.js';
import { CLIENT_MESSAGE_TYPES, SERVER_MESSAGE_TYPES } from './messages.js';
import { SEQ_MAX } from './seqId.js';
import { bool, clip, fail, int, isCell, isPlainObject, nonBlank, object, type Obj, oneOf, optInt, optSeq, optStr, seqValue, str } from './fieldReaders.js';

/** Options of {@link validateMessage}. */
export interface ValidateOptions {
  /**
   * Accept the wire forms of 64-bit values and normalise them: SeqId fields and row `_seq` given
   * as a decimal string, a safe-integer number or a bigint become `bigint`; integer fields given
   * as a safe bigint become `number`. Row objects are normalised in place. Codecs use this mode.
   * When `false`, SeqId fields and row `_seq` must already be `bigint`.
   * @default false
   */
  readonly wire?: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const CLIENT_TYPES: ReadonlySet<string> = new Set(CLIENT_MESSAGE_TYPES);
const SERVER_TYPES: ReadonlySet<string> = new Set(SERVER_MESSAGE_TYPES);
const SERIALIZATIONS: ReadonlySet<string> = new Set(['msgpack', 'json']);
const COMPRESSIONS: ReadonlySet<string> = new Set(['none', 'gzip']);
const ROLES: ReadonlySet<string> = new Set(['anonymous', 'user', 'service', 'dba', 'system']);
const BATCH_STATUSES: ReadonlySet<string> = new Set(['loading', 'loading_batch', 'ready']);
const CHANGE_TYPES: ReadonlySet<string> = new Set(['insert', 'update', 'delete']);
const FLAGS: ReadonlySet<string> = new Set(['pk', 'nn', 'uq']);
const UNSUBSCRIBED_REASONS: ReadonlySet<string> = new Set(['killed', 'unauthorized', 'table_dropped', 'auth_expired', 'server_error']);
const DATA_TYPES: ReadonlySet<string> = new Set([
  'Boolean', 'Int', 'SmallInt', 'BigInt', 'Double', 'Float', 'Text', 'Timestamp', 'Date',
  'DateTime', 'Time', 'Json', 'Bytes', 'Uuid', 'File',
]);

/**
 * Validate any protocol message (either direction).
 *
 * @returns the typed message (a fresh envelope; rows are shared with `value`)
 * @throws KalamError code `PROTOCOL` naming the offending field path, e.g.
 *   `subscribe.subscription.id: expected a non-blank string, got string "  "`
 * @example
 * ```ts
 * const msg = validateMessage({ type: 'ping' }); // { type: 'ping' }
 * ```
 */
export function validateMessage(value: unknown, options: ValidateOptions = {}): Message {
  return readMessage(value, options.wire === true, 'any');
}

/** Validate a client → server message; a server message type is rejected (`PROTOCOL`). */
export function validateClientMessage(value: unknown, options: ValidateOptions = {}): ClientMessage {
  return readMessage(value, options.wire === true, 'client') as ClientMessage;
}

/**
 * Validate a server → client message; a client message type is rejected (`PROTOCOL`).
 *
 * @example
 * ```ts
 * const msg = validateServerMessage(JSON.parse(text), { wire: true });
 * if (msg.type === 'change') console.log(msg.seq); // bigint
 * ```
 */
export function validateServerMessage(value: unknown, options: ValidateOptions = {}): ServerMessage {
  return readMessage(value, options.wire === true, 'server') as ServerMessage;
}

/** True for the message types a client sends. */
export function isClientMessage(message: Message): message is ClientMessage {
  return CLIENT_TYPES.has(message.type);
}

/** True for the message types a server sends. */
export function isServerMessage(message: Message): message is ServerMessage {
  return SERVER_TYPES.has(message.type);
}

function readMessage(value: unknown, wire: boolean, direction: 'any' | 'client' | 'server'): Message {
  const o = object(value, 'message');
  const type = o['type'];
  if (typeof type !== 'string') fail('message.type', 'a message type string', type);
  if (direction === 'client' && !CLIENT_TYPES.has(type)) {
    throw new KalamError('PROTOCOL', `message.type: "${clip(type)}" is not a client message type`);
  }
  if (direction === 'server' && !SERVER_TYPES.has(type)) {
    throw new KalamError('PROTOCOL', `message.type: "${clip(type)}" is not a server message type`);
  }
  switch (type) {
    case 'authenticate': return authenticate(o);
    case 'subscribe': return subscribe(o, wire);
    case 'next_batch': return nextBatch(o, wire);
    case 'unsubscribe': return { type, subscription_id: nonBlank(o, 'subscription_id', type) };
    case 'ping': return { type };
    case 'auth_success': return authSuccess(o, wire);
    case 'auth_error': return authError(o);
    case 'subscription_ack': return subscriptionAck(o, wire);
    case 'initial_data_batch': return initialDataBatch(o, wire);
    case 'change': return change(o, wire);
    case 'error': return errorMessage(o);
    case 'pong': return { type };
    case 'unsubscribed': return unsubscribed(o);
    default:
      throw new KalamError('PROTOCOL', `message.type: unknown message type "${clip(type)}"`);
  }
}

// ---------------------------------------------------------------- messages

function authenticate(o: Obj): AuthenticateMessage {
  const p = 'authenticate';
  const method = o['method'];
  if (method !== 'jwt') fail(`${p}.method`, '"jwt"', method);
  const out: Mutable<AuthenticateMessage> = { type: 'authenticate', method, token: str(o, 'token', p) };
  const protocol = o['protocol'];
  if (protocol !== undefined && protocol !== null) out.protocol = protocolOptions(protocol, `${p}.protocol`);
  return out;
}

function subscribe(o: Obj, wire: boolean): SubscribeMessage {
  const p = 'subscribe.subscription';
  const s = object(o['subscription'], p);
  const sub: Mutable<SubscribeMessage['subscription']> = { id: nonBlank(s, 'id', p), sql: str(s, 'sql', p) };
  const params = s['params'];
  if (params !== undefined && params !== null) sub.params = paramList(params, `${p}.params`);
  const options = s['options'];
  if (options !== undefined && options !== null) sub.options = subscriptionOptions(options, `${p}.options`, wire);
  return { type: 'subscribe', subscription: sub };
}

function subscriptionOptions(value: unknown, p: string, wire: boolean): SubscriptionOptions {
  const o = object(value, p);
  const out: Mutable<SubscriptionOptions> = {};
  const batchSize = optInt(o, 'batch_size', p, 1, wire);
  if (batchSize !== undefined) out.batch_size = batchSize;
  const lastRows = optInt(o, 'last_rows', p, 0, wire);
  if (lastRows !== undefined) out.last_rows = lastRows;
  // `from_seq_id` is KalamDB's input alias of `from`.
  const fromKey = o['from'] === undefined || o['from'] === null ? 'from_seq_id' : 'from';
  const from = optSeq(o, fromKey, p, wire);
  if (from !== undefined && from !== null) out.from = from;
  return out;
}

function nextBatch(o: Obj, wire: boolean): NextBatchMessage {
  const p = 'next_batch';
  const out: Mutable<NextBatchMessage> = { type: 'next_batch', subscription_id: nonBlank(o, 'subscription_id', p) };
  const last = optSeq(o, 'last_seq_id', p, wire);
  if (last !== undefined) out.last_seq_id = last;
  return out;
}

function authSuccess(o: Obj, wire: boolean): AuthSuccessMessage {
  const p = 'auth_success';
  const out: Mutable<AuthSuccessMessage> = {
    type: 'auth_success',
    user: str(o, 'user', p),
    role: oneOf(o, 'role', p, ROLES) as AuthSuccessMessage['role'],
    protocol: protocolOptions(o['protocol'], `${p}.protocol`),
  };
  const connectionId = optStr(o, 'connection_id', p);
  if (connectionId !== undefined) out.connection_id = connectionId;
  const expiresAt = optInt(o, 'expires_at', p, 0, wire);
  if (expiresAt !== undefined) out.expires_at = expiresAt;
  return out;
}

function authError(o: Obj): AuthErrorMessage {
  const out: Mutable<AuthErrorMessage> = { type: 'auth_error', message: str(o, 'message', 'auth_error') };
  const code = optStr(o, 'code', 'auth_error');
  if (code !== undefined) out.code = code;
  return out;
}

function subscriptionAck(o: Obj, wire: boolean): SubscriptionAckMessage {
  const p = 'subscription_ack';
  const out: Mutable<SubscriptionAckMessage> = {
    type: 'subscription_ack',
    subscription_id: nonBlank(o, 'subscription_id', p),
    total_rows: int(o, 'total_rows', p, 0, wire),
    batch_control: batchControl(o['batch_control'], `${p}.batch_control`, wire),
    schema: schema(o['schema'], `${p}.schema`, wire),
  };
  const resumed = o['resumed'];
  if (resumed !== undefined && resumed !== null) {
    if (typeof resumed !== 'boolean') fail(`${p}.resumed`, 'a boolean', resumed);
    out.resumed = resumed;
  }
  return out;
}

function initialDataBatch(o: Obj, wire: boolean): InitialDataBatchMessage {
  const p = 'initial_data_batch';
  return {
    type: 'initial_data_batch',
    subscription_id: nonBlank(o, 'subscription_id', p),
    rows: rows(o['rows'], `${p}.rows`, wire),
    batch_control: batchControl(o['batch_control'], `${p}.batch_control`, wire),
  };
}

function change(o: Obj, wire: boolean): ChangeMessage {
  const p = 'change';
  const changeType = oneOf(o, 'change_type', p, CHANGE_TYPES) as ChangeMessage['change_type'];
  const out: Mutable<ChangeMessage> = { type: 'change', subscription_id: nonBlank(o, 'subscription_id', p), change_type: changeType };
  const newRows = o['rows'];
  if (newRows !== undefined && newRows !== null) out.rows = rows(newRows, `${p}.rows`, wire);
  else if (changeType !== 'delete') fail(`${p}.rows`, `row array (required for ${changeType})`, newRows);
  const oldRows = o['old_values'];
  if (oldRows !== undefined && oldRows !== null) out.old_values = rows(oldRows, `${p}.old_values`, wire);
  else if (changeType === 'delete') fail(`${p}.old_values`, 'row array (required for delete)', oldRows);
  const seq = optSeq(o, 'seq', p, wire);
  if (seq !== undefined && seq !== null) out.seq = seq;
  const prev = optSeq(o, 'prev_seq', p, wire);
  if (prev !== undefined && prev !== null) out.prev_seq = prev;
  return out;
}

function errorMessage(o: Obj): ErrorMessage {
  const p = 'error';
  const id = optStr(o, 'subscription_id', p);
  const code = str(o, 'code', p);
  const message = str(o, 'message', p);
  return id === undefined ? { type: 'error', code, message } : { type: 'error', subscription_id: id, code, message };
}

function unsubscribed(o: Obj): UnsubscribedMessage {
  const p = 'unsubscribed';
  return {
    type: 'unsubscribed',
    subscription_id: nonBlank(o, 'subscription_id', p),
    reason: oneOf(o, 'reason', p, UNSUBSCRIBED_REASONS) as UnsubscribedMessage['reason'],
  };
}

// ---------------------------------------------------------------- compound fields

function protocolOptions(value: unknown, p: string): ProtocolOptions {
  const o = object(value, p);
  return {
    serialization: oneOf(o, 'serialization', p, SERIALIZATIONS) as ProtocolOptions['serialization'],
    compression: oneOf(o, 'compression', p, COMPRESSIONS) as ProtocolOptions['compression'],
  };
}

function batchControl(value: unknown, p: string, wire: boolean): BatchControl {
  const o = object(value, p);
  const last = optSeq(o, 'last_seq_id', p, wire);
  return {
    batch_num: int(o, 'batch_num', p, 0, wire),
    has_more: bool(o, 'has_more', p),
    status: oneOf(o, 'status', p, BATCH_STATUSES) as BatchControl['status'],
    last_seq_id: last === undefined ? null : last,
  };
}

function schema(value: unknown, p: string, wire: boolean): readonly SchemaField[] {
  if (!Array.isArray(value)) fail(p, 'an array of schema fields', value);
  const out: SchemaField[] = new Array<SchemaField>(value.length);
  for (let i = 0; i < value.length; i++) {
    const fp = `${p}[${i}]`;
    const f = object(value[i], fp);
    const field: Mutable<SchemaField> = {
      name: str(f, 'name', fp),
      data_type: dataType(f['data_type'], `${fp}.data_type`, wire),
      index: int(f, 'index', fp, 0, wire),
    };
    const flags = f['flags'];
    if (flags !== undefined && flags !== null) {
      if (!Array.isArray(flags)) fail(`${fp}.flags`, 'an array of "pk" | "nn" | "uq"', flags);
      for (let j = 0; j < flags.length; j++) {
        const flag: unknown = flags[j];
        if (typeof flag !== 'string' || !FLAGS.has(flag)) fail(`${fp}.flags[${j}]`, 'one of "pk", "nn", "uq"', flag);
      }
      field.flags = flags as SchemaFlag[];
    }
    out[i] = field;
  }
  return out;
}

function dataType(value: unknown, p: string, wire: boolean): KalamDataType {
  if (typeof value === 'string') {
    if (DATA_TYPES.has(value)) return value as KalamDataType;
  } else if (isPlainObject(value)) {
    if ('Embedding' in value) return { Embedding: int(value, 'Embedding', p, 1, wire) };
    if ('Decimal' in value) {
      const d = object(value['Decimal'], `${p}.Decimal`);
      return { Decimal: { precision: int(d, 'precision', `${p}.Decimal`, 1, wire), scale: int(d, 'scale', `${p}.Decimal`, 0, wire) } };
    }
  }
  return fail(p, 'a known KalamDataType', value);
}

function rows(value: unknown, p: string, wire: boolean): readonly Row[] {
  if (!Array.isArray(value)) fail(p, 'an array of rows', value);
  for (let i = 0; i < value.length; i++) {
    const row: unknown = value[i];
    if (!isPlainObject(row)) fail(`${p}[${i}]`, 'a row object', row);
    const seq = row['_seq'];
    if (typeof seq !== 'bigint' || seq < 0n || seq > SEQ_MAX) {
      if (!wire || seq === undefined) fail(`${p}[${i}]._seq`, 'a SeqId (bigint 0..2^63-1)', seq);
      row['_seq'] = seqValue(seq, `${p}[${i}]._seq`);
    }
    for (const key in row) {
      if (!isCell(row[key], 0)) fail(`${p}[${i}].${key}`, 'a cell value', row[key]);
    }
  }
  return value as Row[];
}

function paramList(value: unknown, p: string): readonly ParamValue[] {
  if (!Array.isArray(value)) fail(p, 'an array of parameter values', value);
  for (let i = 0; i < value.length; i++) {
    if (!isCell(value[i], 0)) fail(`${p}[${i}]`, 'a cell value', value[i]);
  }
  return value as ParamValue[];
}

/** @internal Codec entry point: `validateMessage(value, { wire: true })` without the options object. */
export function readWireMessage(value: unknown): Message {
  return readMessage(value, true, 'any');
}
