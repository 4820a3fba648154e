/**
 * Structural validation of the server → client messages (PROTOCOL.md §Messages): all a client
 * decodes. Client → server messages are validated in `validate.ts` (the `/protocol` subpath).
 *
 * Validation builds a fresh envelope holding only the known fields (unknown extra fields are
 * ignored for forward compatibility) but reuses row arrays and row objects as they are: a
 * 1,000-row batch is checked, not copied.
 */
import { KalamError } from '../errors.js';
import type { BatchControl, ChangeMessage, KalamDataType, Message, ProtocolOptions, Row, SchemaField, ServerMessage } from './messages.js';
import { SEQ_MAX } from './seqId.js';
import { bool, clip, fail, int, isCell, isPlainObject, nonBlank, object, type Obj, oneOf, optInt, optSeq, optStr, seqValue, str } from './fieldReaders.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const set = (words: string): ReadonlySet<string> => new Set(words.split(' '));
const SERIALIZATIONS = set('msgpack json');
const COMPRESSIONS = set('none gzip');
const ROLES = set('anonymous user service dba system');
const BATCH_STATUSES = set('loading loading_batch ready');
const CHANGE_TYPES = set('insert update delete');
const UNSUBSCRIBED_REASONS = set('killed unauthorized table_dropped auth_expired server_error');
const DATA_TYPES = set('Boolean Int SmallInt BigInt Double Float Text Timestamp Date DateTime Time Json Bytes Uuid File');

/** A message object and its `type` string, or `PROTOCOL`. */
export function envelope(value: unknown): [Obj, string] {
  const o = object(value, 'message');
  const type = o['type'];
  if (typeof type !== 'string') fail('message.type', 'a message type string', type);
  return [o, type];
}

/** `PROTOCOL` for a type outside the protocol. */
export function unknownType(type: string): never {
  throw new KalamError('PROTOCOL', `message.type: unknown message type "${clip(type)}"`);
}

/** `PROTOCOL` for a known type sent the wrong way. */
export function wrongDirection(type: string, side: 'client' | 'server'): never {
  throw new KalamError('PROTOCOL', `message.type: "${clip(type)}" is not a ${side} message type`);
}

/** @internal The client codecs' validator: wire forms accepted, server messages only. */
export function readWireServerMessage(value: unknown): Message {
  const [o, type] = envelope(value);
  return readServerMessage(o, type, true) ?? wrongDirection(type, 'server');
}

/** The server message of `type`, validated; `undefined` when `type` is no server message type (nor any type: `PROTOCOL`). */
export function readServerMessage(o: Obj, type: string, wire: boolean): ServerMessage | undefined {
  let out: Mutable<ServerMessage>;
  switch (type) {
    case 'auth_success': {
      out = { type, user: str(o, 'user', type), role: oneOf(o, 'role', type, ROLES) as never, protocol: protocolOptions(o['protocol'], `${type}.protocol`) };
      const connectionId = optStr(o, 'connection_id', type);
      if (connectionId !== undefined) out.connection_id = connectionId;
      const expiresAt = optInt(o, 'expires_at', type, 0, wire);
      if (expiresAt !== undefined) out.expires_at = expiresAt;
      return out;
    }
    case 'auth_error': {
      out = { type, message: str(o, 'message', type) };
      const code = optStr(o, 'code', type);
      if (code !== undefined) out.code = code;
      return out;
    }
    case 'subscription_ack': {
      out = {
        type,
        subscription_id: nonBlank(o, 'subscription_id', type),
        total_rows: int(o, 'total_rows', type, 0, wire),
        batch_control: batchControl(o['batch_control'], type, wire),
        schema: schema(o['schema'], `${type}.schema`, wire),
      };
      const resumed = o['resumed'];
      if (resumed !== undefined && resumed !== null) out.resumed = bool(o, 'resumed', type);
      return out;
    }
    case 'initial_data_batch':
      return {
        type,
        subscription_id: nonBlank(o, 'subscription_id', type),
        rows: rows(o['rows'], `${type}.rows`, wire),
        batch_control: batchControl(o['batch_control'], type, wire),
      };
    case 'change':
      return change(o, wire);
    case 'error': {
      const id = optStr(o, 'subscription_id', type);
      const code = str(o, 'code', type);
      const message = str(o, 'message', type);
      return id === undefined ? { type, code, message } : { type, subscription_id: id, code, message };
    }
    case 'pong':
      return { type };
    case 'unsubscribed':
      return { type, subscription_id: nonBlank(o, 'subscription_id', type), reason: oneOf(o, 'reason', type, UNSUBSCRIBED_REASONS) as never };
    case 'authenticate':
    case 'subscribe':
    case 'next_batch':
    case 'unsubscribe':
    case 'ping':
      return undefined;
    default:
      return unknownType(type);
  }
}

function change(o: Obj, wire: boolean): ChangeMessage {
  const p = 'change';
  const changeType = oneOf(o, 'change_type', p, CHANGE_TYPES) as ChangeMessage['change_type'];
  const out: Mutable<ChangeMessage> = { type: p, subscription_id: nonBlank(o, 'subscription_id', p), change_type: changeType };
  const newRows = o['rows'];
  if (newRows != null) out.rows = rows(newRows, `${p}.rows`, wire);
  else if (changeType !== 'delete') fail(`${p}.rows`, `row array (required for ${changeType})`, newRows);
  const oldRows = o['old_values'];
  if (oldRows != null) out.old_values = rows(oldRows, `${p}.old_values`, wire);
  else if (changeType === 'delete') fail(`${p}.old_values`, 'row array (required for delete)', oldRows);
  const seq = optSeq(o, 'seq', p, wire);
  if (seq != null) out.seq = seq;
  const prev = optSeq(o, 'prev_seq', p, wire);
  if (prev != null) out.prev_seq = prev;
  return out;
}

/** `protocol` of `auth_success` and `authenticate`. */
export function protocolOptions(value: unknown, p: string): ProtocolOptions {
  const o = object(value, p);
  return {
    serialization: oneOf(o, 'serialization', p, SERIALIZATIONS) as ProtocolOptions['serialization'],
    compression: oneOf(o, 'compression', p, COMPRESSIONS) as ProtocolOptions['compression'],
  };
}

function batchControl(value: unknown, type: string, wire: boolean): BatchControl {
  const p = `${type}.batch_control`;
  const o = object(value, p);
  const last = optSeq(o, 'last_seq_id', p, wire);
  return {
    batch_num: int(o, 'batch_num', p, 0, wire),
    has_more: bool(o, 'has_more', p),
    status: oneOf(o, 'status', p, BATCH_STATUSES) as BatchControl['status'],
    last_seq_id: last === undefined ? null : last,
  };
}

/** The last schema read: a resume acks every subscription of a table with the same schema. */
let lastSchema: readonly SchemaField[] | undefined;

function schema(value: unknown, p: string, wire: boolean): readonly SchemaField[] {
  if (!Array.isArray(value)) fail(p, 'an array of schema fields', value);
  if (lastSchema !== undefined && readsAs(value, lastSchema)) return lastSchema;
  lastSchema = readSchema(value, p, wire);
  return lastSchema;
}

/**
 * True when reading `value` in full would give `fields`: every field a plain object with the same
 * name, number index, string data type and flags (extra keys are ignored, as a full read does).
 * Anything else (a parameterised type, a 64-bit index, another shape) is read in full.
 */
function readsAs(value: readonly unknown[], fields: readonly SchemaField[]): boolean {
  if (value.length !== fields.length) return false;
  for (let i = 0; i < value.length; i++) {
    const f: unknown = value[i];
    const field = fields[i] as SchemaField;
    if (!isPlainObject(f) || f['name'] !== field.name || f['index'] !== field.index || typeof f['data_type'] !== 'string' || f['data_type'] !== field.data_type) return false;
    const flags = f['flags'];
    const known = field.flags;
    if (flags == null || known === undefined) {
      if (flags != null || known !== undefined) return false;
    } else if (!Array.isArray(flags) || flags.length !== known.length || flags.some((flag, j) => flag !== known[j])) return false;
  }
  return true;
}

/** Frozen, fields and flags included: one schema may be handed out for many acks (see {@link schema}), so no reader may change it under another. */
function readSchema(value: readonly unknown[], p: string, wire: boolean): readonly SchemaField[] {
  return Object.freeze(value.map((item: unknown, i): SchemaField => {
    const fp = `${p}[${i}]`;
    const f = object(item, fp);
    const field: Mutable<SchemaField> = { name: str(f, 'name', fp), data_type: dataType(f['data_type'], `${fp}.data_type`, wire), index: int(f, 'index', fp, 0, wire) };
    const flags = f['flags'];
    if (flags != null) {
      if (!Array.isArray(flags)) fail(`${fp}.flags`, 'an array of "pk" | "nn" | "uq"', flags);
      flags.forEach((flag: unknown, j) => {
        if (flag !== 'pk' && flag !== 'nn' && flag !== 'uq') fail(`${fp}.flags[${j}]`, 'one of "pk", "nn", "uq"', flag);
      });
      // A copy: the schema may be handed out again for later acks, whatever the caller does with its input.
      field.flags = Object.freeze(flags.slice());
    }
    return Object.freeze(field);
  }));
}

function dataType(value: unknown, p: string, wire: boolean): KalamDataType {
  if (typeof value === 'string') {
    if (DATA_TYPES.has(value)) return value as KalamDataType;
  } else if (isPlainObject(value)) {
    if ('Embedding' in value) return { Embedding: int(value, 'Embedding', p, 1, wire) };
    if ('Decimal' in value) {
      const dp = `${p}.Decimal`;
      const d = object(value['Decimal'], dp);
      return { Decimal: { precision: int(d, 'precision', dp, 1, wire), scale: int(d, 'scale', dp, 0, wire) } };
    }
  }
  return fail(p, 'a known KalamDataType', value);
}

function rows(value: unknown, p: string, wire: boolean): readonly Row[] {
  if (!Array.isArray(value)) fail(p, 'an array of rows', value);
  for (let i = 0; i < value.length; i++) {
    const row: unknown = value[i];
    const rp = `${p}[${i}]`;
    if (!isPlainObject(row)) fail(rp, 'a row object', row);
    const seq = row['_seq'];
    if (typeof seq !== 'bigint' || seq < 0n || seq > SEQ_MAX) {
      if (!wire || seq === undefined) fail(`${rp}._seq`, 'a SeqId (bigint 0..2^63-1)', seq);
      row['_seq'] = seqValue(seq, `${rp}._seq`);
    }
    for (const key in row) {
      if (!isCell(row[key], 0)) fail(`${rp}.${key}`, 'a cell value', row[key]);
    }
  }
  return value as Row[];
}
