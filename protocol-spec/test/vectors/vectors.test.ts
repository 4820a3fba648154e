/**
 * Runs every golden vector in protocol-spec/vectors through both reference codecs, both ways
 * (README.md there describes the format). Regenerate with `node protocol-spec/vectors/generate.mjs`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createJsonCodec,
  createMsgpackCodec,
  decodeFrame,
  encodeJson,
  encodeMsgpack,
  KalamError,
  type Message,
} from '@kalam/link/protocol';

const VECTORS = join(__dirname, '..', '..', 'vectors');

type Direction = 'client_to_server' | 'server_to_client';
interface ValidVector {
  readonly name: string;
  readonly direction: Direction;
  readonly msgpack: string;
  readonly json: string;
  readonly decoded: unknown;
  readonly decoded_json?: unknown;
}
interface FrameVector {
  readonly name: string;
  readonly direction: Direction;
  readonly encoding: 'msgpack' | 'json';
  readonly frame: string;
  readonly max_frame_bytes?: number;
}
interface LenientVector extends FrameVector {
  readonly decoded: unknown;
}
interface InvalidVector extends FrameVector {
  readonly error: string;
  readonly reason: string;
}

function load<T>(dir: string): T[] {
  return readdirSync(join(VECTORS, dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => (JSON.parse(readFileSync(join(VECTORS, dir, f), 'utf8')) as { vectors: T[] }).vectors);
}

/** Tagged JSON → JS value: {"$bigint": "…"} → bigint, {"$bytes": "hex"} → Uint8Array. */
function fromTagged(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromTagged);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o['$bigint'] === 'string') return BigInt(o['$bigint']);
    if (keys.length === 1 && typeof o['$bytes'] === 'string') return new Uint8Array(Buffer.from(o['$bytes'], 'hex'));
    return Object.fromEntries(keys.map((k) => [k, fromTagged(o[k])]));
  }
  return v;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const json = createJsonCodec();
const msgpack = createMsgpackCodec();

const valid = load<ValidVector>('valid');
const lenient = load<LenientVector>('lenient');
const invalid = load<InvalidVector>('invalid');

function decodeWith(v: FrameVector): Message {
  const options = v.max_frame_bytes === undefined ? {} : { maxFrameBytes: v.max_frame_bytes };
  return v.encoding === 'json' ? createJsonCodec(options).decode(v.frame) : createMsgpackCodec(options).decode(bytes(v.frame));
}

describe('golden vectors', () => {
  it('cover every message type with enough valid and invalid vectors', () => {
    expect(valid.length).toBeGreaterThanOrEqual(40);
    expect(invalid.length).toBeGreaterThanOrEqual(10);
    const types = new Set(valid.map((v) => (v.decoded as { type: string }).type));
    for (const t of ['authenticate', 'subscribe', 'next_batch', 'unsubscribe', 'ping', 'auth_success', 'auth_error', 'subscription_ack', 'initial_data_batch', 'change', 'error', 'pong', 'unsubscribed']) {
      expect(types).toContain(t);
    }
    const names = [...valid, ...lenient, ...invalid].map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('pin SeqIds 0, 2^53+1 and 2^63-1 exactly', () => {
    const text = valid.map((v) => JSON.stringify(v.decoded)).join('\n');
    for (const s of ['0', '9007199254740993', '9223372036854775807']) expect(text).toContain(`{"$bigint":"${s}"}`);
    const big = valid.find((v) => v.name === 'initial_data_batch-1000-rows');
    expect((big?.decoded as { rows: unknown[] } | undefined)?.rows).toHaveLength(1000);
  });

  describe.each(valid.map((v) => [v.name, v] as const))('valid %s', (_name, v) => {
    const message = fromTagged(v.decoded) as Message;

    it('msgpack: decodes to the value and encodes back byte-exact', () => {
      const decoded = msgpack.decode(bytes(v.msgpack));
      expect(decoded).toEqual(message);
      expect(hex(encodeMsgpack(message))).toBe(v.msgpack);
      expect(hex(encodeMsgpack(decoded))).toBe(v.msgpack);
      expect(decodeFrame(bytes(v.msgpack), 'msgpack')).toEqual(message);
    });

    it('JSON: decodes to the value and encodes back to the same text', () => {
      const expected = v.decoded_json === undefined ? message : fromTagged(v.decoded_json);
      expect(json.decode(v.json)).toEqual(expected);
      expect(encodeJson(message)).toBe(v.json);
      expect(decodeFrame(v.json, 'msgpack')).toEqual(expected);
    });
  });

  it.each(lenient.map((v) => [v.name, v] as const))('lenient %s decodes to the stated value', (_name, v) => {
    expect(decodeWith(v)).toEqual(fromTagged(v.decoded));
  });

  it.each(invalid.map((v) => [v.name, v] as const))('invalid %s is rejected with its error code', (_name, v) => {
    let error: unknown;
    try {
      decodeWith(v);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KalamError);
    expect((error as KalamError).code).toBe(v.error);
  });
});
