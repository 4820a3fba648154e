/**
 * An independent codec for protocol v1, written from PROTOCOL.md §3 and §5 only (no @kalam/link):
 * plain `@msgpack/msgpack` with `useBigInt64`, `JSON.parse` with the §3.6 quoting pre-pass, and a
 * validator that normalises what §5.1 allows (null optionals, SeqIds as number/string, compact
 * integers, the `from_seq_id` alias) and rejects what it forbids, as a {@link SpecError}.
 */
import { gunzipSync } from 'node:zlib';
import { decode as mpDecode, encode as mpEncode } from '@msgpack/msgpack';

/** A decoded protocol message: an object with a `type` tag. */
export interface Msg {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** A decode or validation failure; `code` is the §11 error code (always `PROTOCOL` here). */
export class SpecError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export type Serialization = 'json' | 'msgpack';

const SEQ_MAX = (1n << 63n) - 1n;
const SEQ_KEYS = /"(from|from_seq_id|last_seq_id|seq|prev_seq|_seq)"(\s*:\s*)(-?\d+)(?=\s*[,}\]])/g;

function fail(path: string, what: string, got: unknown): never {
  const shown = typeof got === 'bigint' ? `${got}n` : JSON.stringify(got) ?? String(got);
  throw new SpecError('PROTOCOL', `${path}: expected ${what}, got ${shown}`);
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);

function seqId(v: unknown, path: string): bigint {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v)) n = BigInt(v);
  else fail(path, 'a SeqId', v);
  if (n < 0n || n > SEQ_MAX) fail(path, 'a SeqId in 0..2^63-1', v);
  return n;
}

function int(v: unknown, path: string, min = 0): number {
  const n = typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(min) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) fail(path, `an int >= ${min}`, v);
  return n;
}

const str = (v: unknown, path: string): string => (typeof v === 'string' ? v : fail(path, 'a string', v));
const nonBlank = (v: unknown, path: string): string =>
  typeof v === 'string' && v.trim() !== '' ? v : fail(path, 'a non-blank string', v);
const bool = (v: unknown, path: string): boolean => (typeof v === 'boolean' ? v : fail(path, 'a boolean', v));
function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  return values.includes(v as T) ? (v as T) : fail(path, values.join(' | '), v);
}

/** Cell values: anything JSON or msgpack can say, except extension types (§3.5). */
function cell(v: unknown, path: string): unknown {
  if (v instanceof Date) fail(path, 'no extension types', v);
  if (Array.isArray(v)) return v.map((x, i) => cell(x, `${path}[${i}]`));
  if (isObj(v)) {
    if (Object.getPrototypeOf(v) !== Object.prototype) fail(path, 'no extension types', v);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cell(x, `${path}.${k}`)]));
  }
  return v;
}

function row(v: unknown, path: string): Record<string, unknown> {
  if (!isObj(v)) fail(path, 'a row object', v);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === '_seq' ? seqId(x, `${path}._seq`) : cell(x, `${path}.${k}`);
  if (!('_seq' in v)) fail(`${path}._seq`, 'a SeqId', undefined);
  return out;
}

const rows = (v: unknown, path: string): Record<string, unknown>[] =>
  Array.isArray(v) ? v.map((r, i) => row(r, `${path}[${i}]`)) : fail(path, 'an array of rows', v);

const DATA_TYPES = ['Boolean', 'Int', 'SmallInt', 'BigInt', 'Double', 'Float', 'Text', 'Timestamp', 'Date', 'DateTime', 'Time', 'Json', 'Bytes', 'Uuid', 'File'] as const;

function dataType(v: unknown, path: string): unknown {
  if (typeof v === 'string') return oneOf(v, path, DATA_TYPES);
  if (isObj(v) && 'Embedding' in v) return { Embedding: int(v['Embedding'], `${path}.Embedding`, 1) };
  if (isObj(v) && isObj(v['Decimal'])) {
    const d = v['Decimal'];
    return { Decimal: { precision: int(d['precision'], `${path}.Decimal.precision`, 1), scale: int(d['scale'], `${path}.Decimal.scale`) } };
  }
  return fail(path, 'a KalamDataType', v);
}

function batchControl(v: unknown, path: string): Record<string, unknown> {
  if (!isObj(v)) fail(path, 'a BatchControl', v);
  const last = v['last_seq_id'];
  return {
    batch_num: int(v['batch_num'], `${path}.batch_num`),
    has_more: bool(v['has_more'], `${path}.has_more`),
    status: oneOf(v['status'], `${path}.status`, ['loading', 'loading_batch', 'ready']),
    last_seq_id: last === undefined || last === null ? null : seqId(last, `${path}.last_seq_id`),
  };
}

function protocol(v: unknown, path: string): Record<string, unknown> {
  if (!isObj(v)) fail(path, 'ProtocolOptions', v);
  return {
    serialization: oneOf(v['serialization'], `${path}.serialization`, ['msgpack', 'json']),
    compression: oneOf(v['compression'], `${path}.compression`, ['none', 'gzip']),
  };
}

type Fields = Record<string, unknown>;
/** Copy `key` through `conv` when present and not null (§5.1: null = absent). */
function opt(out: Fields, src: Fields, key: string, conv: (v: unknown, path: string) => unknown, path: string): void {
  const v = src[key];
  if (v !== undefined && v !== null) out[key] = conv(v, `${path}.${key}`);
}

function subscription(v: unknown, path: string): Fields {
  if (!isObj(v)) fail(path, 'an object', v);
  const out: Fields = { id: nonBlank(v['id'], `${path}.id`), sql: str(v['sql'], `${path}.sql`) };
  opt(out, v, 'params', (p, at) => (Array.isArray(p) ? p.map((x, i) => cell(x, `${at}[${i}]`)) : fail(at, 'an array', p)), path);
  opt(out, v, 'options', (o, at) => {
    if (!isObj(o)) fail(at, 'SubscriptionOptions', o);
    const opts: Fields = {};
    opt(opts, o, 'batch_size', (x, p) => int(x, p, 1), at);
    opt(opts, o, 'last_rows', (x, p) => int(x, p), at);
    opt(opts, o, 'from', seqId, at);
    if (!('from' in opts)) opt(opts, { from: o['from_seq_id'] }, 'from', seqId, at);
    return opts;
  }, path);
  return out;
}

/** Validate and normalise one decoded message (§5). */
export function validate(m: unknown): Msg {
  if (!isObj(m)) fail('message', 'an object', m);
  const t = m['type'];
  if (typeof t !== 'string') fail('type', 'a string', t);
  const out: Fields = { type: t };
  const sid = (): void => { out['subscription_id'] = nonBlank(m['subscription_id'], `${t}.subscription_id`); };
  switch (t) {
    case 'authenticate':
      out['method'] = oneOf(m['method'], `${t}.method`, ['jwt']);
      out['token'] = str(m['token'], `${t}.token`);
      opt(out, m, 'protocol', protocol, t);
      break;
    case 'subscribe':
      out['subscription'] = subscription(m['subscription'], `${t}.subscription`);
      break;
    case 'next_batch':
      sid();
      if (m['last_seq_id'] === null) out['last_seq_id'] = null;
      else opt(out, m, 'last_seq_id', seqId, t);
      break;
    case 'unsubscribe':
      sid();
      break;
    case 'ping':
    case 'pong':
      break;
    case 'auth_success':
      out['user'] = str(m['user'], `${t}.user`);
      out['role'] = oneOf(m['role'], `${t}.role`, ['anonymous', 'user', 'service', 'dba', 'system']);
      out['protocol'] = protocol(m['protocol'], `${t}.protocol`);
      opt(out, m, 'connection_id', str, t);
      opt(out, m, 'expires_at', (x, p) => int(x, p), t);
      break;
    case 'auth_error':
      out['message'] = str(m['message'], `${t}.message`);
      opt(out, m, 'code', str, t);
      break;
    case 'subscription_ack': {
      sid();
      out['total_rows'] = int(m['total_rows'], `${t}.total_rows`);
      out['batch_control'] = batchControl(m['batch_control'], `${t}.batch_control`);
      const schema = m['schema'];
      if (!Array.isArray(schema)) fail(`${t}.schema`, 'an array', schema);
      out['schema'] = schema.map((f: unknown, i) => {
        const at = `${t}.schema[${i}]`;
        if (!isObj(f)) fail(at, 'a SchemaField', f);
        const field: Fields = { name: str(f['name'], `${at}.name`), data_type: dataType(f['data_type'], `${at}.data_type`), index: int(f['index'], `${at}.index`) };
        opt(field, f, 'flags', (x, p) => (Array.isArray(x) ? x.map((g, j) => oneOf(g, `${p}[${j}]`, ['pk', 'nn', 'uq'])) : fail(p, 'an array', x)), at);
        return field;
      });
      opt(out, m, 'resumed', bool, t);
      break;
    }
    case 'initial_data_batch':
      sid();
      out['rows'] = rows(m['rows'], `${t}.rows`);
      out['batch_control'] = batchControl(m['batch_control'], `${t}.batch_control`);
      break;
    case 'change': {
      sid();
      const ct = oneOf(m['change_type'], `${t}.change_type`, ['insert', 'update', 'delete']);
      out['change_type'] = ct;
      if (ct !== 'delete') out['rows'] = rows(m['rows'], `${t}.rows`);
      if (ct !== 'insert') out['old_values'] = rows(m['old_values'], `${t}.old_values`);
      opt(out, m, 'seq', seqId, t);
      opt(out, m, 'prev_seq', seqId, t);
      break;
    }
    case 'error':
      opt(out, m, 'subscription_id', str, t);
      out['code'] = str(m['code'], `${t}.code`);
      out['message'] = str(m['message'], `${t}.message`);
      break;
    case 'unsubscribed':
      sid();
      out['reason'] = oneOf(m['reason'], `${t}.reason`, ['killed', 'unauthorized', 'table_dropped', 'auth_expired', 'server_error']);
      break;
    default:
      fail('type', 'a known message type', t);
  }
  return out as Msg;
}

/** §3.6: quote integer literals of SeqId keys, then parse. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text.replace(SEQ_KEYS, '"$1"$2"$3"'));
  } catch (e) {
    throw new SpecError('PROTOCOL', `invalid JSON: ${(e as Error).message}`);
  }
}

/** Decode a msgpack payload (no trailing bytes, any integer width). */
export function decodeMsgpackBytes(bytes: Uint8Array): unknown {
  try {
    return mpDecode(bytes, { useBigInt64: true });
  } catch (e) {
    throw new SpecError('PROTOCOL', `invalid msgpack: ${(e as Error).message}`);
  }
}

/** §3.4 frame decoding rule, then §5 validation. */
export function decodeFrame(data: Uint8Array | string, binary: boolean, serialization: Serialization, maxFrameBytes = Infinity): Msg {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (size > maxFrameBytes) throw new SpecError('PROTOCOL', `frame of ${size} bytes over ${maxFrameBytes}`);
  if (!binary) return validate(parseJsonText(typeof data === 'string' ? data : Buffer.from(data).toString('utf8')));
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const inflated = gunzipSync(bytes);
    if (inflated.byteLength > maxFrameBytes) throw new SpecError('PROTOCOL', 'inflated frame over the limit');
    return serialization === 'json' ? validate(parseJsonText(inflated.toString('utf8'))) : validate(decodeMsgpackBytes(inflated));
  }
  return validate(decodeMsgpackBytes(bytes));
}

/** Canonical msgpack (§3.5): field order as given, every bigint as 9 bytes. */
export function encodeMsgpack(msg: unknown): Uint8Array {
  return mpEncode(msg, { useBigInt64: true });
}

/** Canonical JSON (§3.6): bigint as decimal strings, bytes as arrays of numbers. */
export function encodeJson(msg: unknown): string {
  return JSON.stringify(msg, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v));
}
