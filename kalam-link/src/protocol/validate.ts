/**
 * Structural validation of protocol v1 messages, both directions (PROTOCOL.md §Messages): the
 * client → server readers live here, the server → client ones in `serverMessages.ts` (which is all
 * a client needs). Servers reach this file through the `@kalam/link/protocol` subpath only.
 */
import type { AuthenticateMessage, ClientMessage, Message, NextBatchMessage, ParamValue, ServerMessage, SubscribeMessage, SubscriptionOptions } from './messages.js';
import { CLIENT_MESSAGE_TYPES, SERVER_MESSAGE_TYPES } from './messages.js';
import { fail, isCell, nonBlank, object, type Obj, optInt, optSeq, str } from './fieldReaders.js';
import { envelope, protocolOptions, readServerMessage, unknownType, wrongDirection } from './serverMessages.js';

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
  const [o, type] = envelope(value);
  if (direction === 'client' && !CLIENT_TYPES.has(type)) wrongDirection(type, 'client');
  if (direction === 'server' && !SERVER_TYPES.has(type)) wrongDirection(type, 'server');
  switch (type) {
    case 'authenticate': return authenticate(o);
    case 'subscribe': return subscribe(o, wire);
    case 'next_batch': return nextBatch(o, wire);
    case 'unsubscribe': return { type, subscription_id: nonBlank(o, 'subscription_id', type) };
    case 'ping': return { type };
    default: return readServerMessage(o, type, wire) ?? unknownType(type);
  }
}

// ---------------------------------------------------------------- client → server messages

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
