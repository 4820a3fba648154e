/**
 * Seeded generator of bad WebSocket frames: garbage, mutated valid envelopes (wrong field types,
 * missing and extra fields), msgpack with huge declared lengths, deep nesting, bit flips,
 * truncations and oversized frames — in JSON (text) and msgpack (binary).
 */
import { encode } from '@msgpack/msgpack';
import type { Rng } from '../support/rng.js';

/** One generated frame. */
export interface FuzzFrame {
  /** Generator category (for reports). */
  readonly kind: string;
  /** Text frame (string) or binary frame (bytes). */
  readonly data: string | Uint8Array;
  /** True when the frame is larger than the server's 1 MiB limit. */
  readonly oversized: boolean;
}

/** Table the valid-looking templates point at. */
export const FUZZ_TABLE = 'fuzz.items';

const MiB = 1024 * 1024;

function msgpack(value: unknown): Uint8Array {
  return encode(value, { useBigInt64: true, maxDepth: 10_000 });
}

function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

function templates(rng: Rng): Array<{ [key: string]: Json }> {
  const id = `f${rng.int(0, 50)}`;
  return [
    { type: 'subscribe', subscription: { id, sql: `SELECT * FROM ${FUZZ_TABLE}`, options: { batch_size: rng.int(1, 20) } } },
    { type: 'subscribe', subscription: { id, sql: `SELECT id, label FROM ${FUZZ_TABLE} WHERE id > $1`, params: [rng.int(0, 5)], options: { from: 1n } } },
    { type: 'next_batch', subscription_id: id, last_seq_id: BigInt(rng.int(0, 1000)) },
    { type: 'unsubscribe', subscription_id: id },
    { type: 'ping' },
  ];
}

function weirdValue(rng: Rng): Json {
  const options: Array<() => Json> = [
    () => null,
    () => true,
    () => -1,
    () => 1.5,
    () => 2 ** 53 + 1,
    () => -(2n ** 63n),
    () => 2n ** 64n - 1n,
    () => '',
    () => ' ',
    () => '\u0000\uffff\ud800',
    () => 'x'.repeat(rng.int(1000, 4000)),
    () => '99999999999999999999999999',
    () => '-5',
    () => [],
    () => [1, 'a', null],
    () => ({}),
    () => ({ type: 'ping' }),
    () => nestedArray(rng.int(50, 500)),
    () => rng.pick(['subscribe', 'next_batch', 'unsubscribe', 'ping', 'authenticate', 'change', 'auth_success', 'SUBSCRIBE', 'ping ']),
    () => rng.pick(['SELECT', 'SELECT * FROM system.users', 'DROP TABLE fuzz.items', "SELECT * FROM fuzz.items WHERE label = '", 'SELECT * FROM fuzz.items; DELETE FROM fuzz.items', 'KILL CONNECTION \'x\'']),
  ];
  return rng.pick(options)();
}

function nestedArray(depth: number): Json {
  let value: Json = null;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Paths of every field inside a template (so a mutation can target any of them). */
function paths(value: Json, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  const out: string[][] = prefix.length > 0 ? [prefix] : [];
  for (const [key, child] of Object.entries(value)) out.push(...paths(child, [...prefix, key]));
  return out;
}

function mutateEnvelope(rng: Rng): { [key: string]: Json } {
  const message = structuredClone(rng.pick(templates(rng)));
  const all = paths(message);
  const mutations = rng.int(1, 3);
  for (let m = 0; m < mutations; m++) {
    const path = rng.pick(all);
    let parent: { [key: string]: Json } = message;
    for (const key of path.slice(0, -1)) {
      const next = parent[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) break;
      parent = next;
    }
    const last = path[path.length - 1];
    if (last === undefined) continue;
    const action = rng.int(0, 9);
    if (action <= 6) parent[last] = weirdValue(rng);
    else if (action === 7) delete parent[last];
    else parent[`extra_${rng.int(0, 99)}`] = weirdValue(rng);
  }
  return message;
}

function randomBytes(rng: Rng, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = rng.int(0, 255);
  return bytes;
}

function randomText(rng: Rng, length: number): string {
  const alphabet = '{}[]":,. \\/0123456789abcdefnulltruefalse-+eE\u00e9\u4e2d\ud83d\ude00';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[rng.int(0, alphabet.length - 1)];
  return out;
}

/** msgpack headers that declare far more data than the frame holds. */
function hugeDeclaredLength(rng: Rng): Uint8Array {
  const typeKey = [0xa4, 0x74, 0x79, 0x70, 0x65]; // fixstr "type"
  const variants: number[][] = [
    [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61, 0x62], // str32 of 4 GiB
    [0xc6, 0xff, 0xff, 0xff, 0xff, 0x00], // bin32 of 4 GiB
    [0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0], // array32 of 4G entries
    [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61, 0xc0], // map32 of 4G entries
    [0xde, 0xff, 0xff, ...typeKey, 0xa4, 0x70, 0x69, 0x6e, 0x67], // map16 of 65535 entries, only one present
    [0x81, ...typeKey, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x73], // {type: str32 of 2 GiB}
    [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00], // ext32 of 4 GiB
    [0xd9, 0xff, 0x61], // str8 of 255, 1 present
    [0x82, ...typeKey, 0xa9, ...Buffer.from('subscribe'), 0xac, ...Buffer.from('subscription'), 0xdf, 0x7f, 0xff, 0xff, 0xff],
  ];
  return Uint8Array.from(rng.pick(variants));
}

function deepNesting(rng: Rng, json: boolean): string | Uint8Array {
  // Depth ≤ 10,000 here: deeper frames are tested on their own (decoding cost grows superlinearly).
  const depth = rng.int(100, 10_000);
  if (json) {
    if (rng.chance(0.5)) return '['.repeat(depth) + ']'.repeat(depth);
    const inner = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    return `{"type":"subscribe","subscription":{"id":"deep","sql":"SELECT * FROM ${FUZZ_TABLE} WHERE id = $1","params":[${inner}]}}`;
  }
  const nested = new Uint8Array(depth + 1).fill(0x91);
  nested[depth] = 0xc0;
  if (rng.chance(0.5)) return nested;
  // {type:"subscribe", subscription:{id:"deep", sql:..., params:[<deep>]}} with the deep part spliced in raw.
  const prefix = msgpack({ type: 'subscribe', subscription: { id: 'deep', sql: `SELECT * FROM ${FUZZ_TABLE} WHERE id = $1`, params: ['__DEEP__'] } });
  const marker = msgpack('__DEEP__');
  const at = Buffer.from(prefix).indexOf(Buffer.from(marker));
  return Buffer.concat([prefix.subarray(0, at), nested, prefix.subarray(at + marker.length)]);
}

function bitFlipOrTruncate(rng: Rng, json: boolean): string | Uint8Array {
  const valid = rng.pick(templates(rng));
  const bytes = Buffer.from(json ? toJson(valid) : msgpack(valid));
  const action = rng.int(0, 3);
  if (action === 0) return json ? bytes.subarray(0, rng.int(0, bytes.length - 1)).toString() : bytes.subarray(0, rng.int(0, bytes.length - 1));
  if (action === 1) {
    const copy = Buffer.from(bytes);
    for (let i = rng.int(1, 4); i > 0; i--) {
      const at = rng.int(0, copy.length - 1);
      copy[at] = (copy[at] ?? 0) ^ (1 << rng.int(0, 7));
    }
    return json ? copy.toString('latin1') : copy;
  }
  if (action === 2) {
    const at = rng.int(0, bytes.length);
    const junk = Buffer.from(randomBytes(rng, rng.int(1, 16)));
    const spliced = Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
    return json ? spliced.toString('latin1') : spliced;
  }
  // Valid encoding of the wrong serialization container: a JSON string inside msgpack, msgpack bytes as text.
  return json ? Buffer.from(msgpack(valid)).toString('latin1') : msgpack(toJson(valid));
}

function oversized(rng: Rng, json: boolean): string | Uint8Array {
  const size = MiB + rng.int(1, 64 * 1024);
  const filler = 'z'.repeat(size);
  const message = { type: 'subscribe', subscription: { id: 'big', sql: `SELECT * FROM ${FUZZ_TABLE} WHERE label = '${filler}'` } };
  return json ? toJson(message) : msgpack(message);
}

/** Generate one frame. `allowOversized` gates the (expensive) > 1 MiB frames. */
export function nextFrame(rng: Rng, allowOversized: boolean): FuzzFrame {
  const json = rng.chance(0.5);
  const roll = rng.int(0, 99);
  let kind: string;
  let data: string | Uint8Array;
  if (allowOversized && roll === 0 && rng.chance(0.05)) {
    kind = 'oversized';
    data = oversized(rng, json);
  } else if (roll < 35) {
    kind = 'wrong-fields';
    const message = mutateEnvelope(rng);
    data = json ? toJson(message) : msgpack(message);
  } else if (roll < 50) {
    kind = 'garbage';
    data = json ? randomText(rng, rng.int(0, 200)) : randomBytes(rng, rng.int(0, 200));
  } else if (roll < 60) {
    kind = 'huge-length';
    data = json ? `{"type":"subscribe","subscription":{"id":"${'a'.repeat(rng.int(0, 100))}`.concat(rng.chance(0.5) ? '' : `","sql":1e${rng.int(300, 999999)}}}`) : hugeDeclaredLength(rng);
  } else if (roll < 61) {
    kind = 'deep-nesting';
    data = deepNesting(rng, json);
  } else if (roll < 85) {
    kind = 'mutated';
    data = bitFlipOrTruncate(rng, json);
  } else {
    kind = 'scalar-or-wrong-shape';
    const value = rng.pick<Json>([null, 0, 'subscribe', [], [{ type: 'ping' }], { type: null }, { Type: 'ping' }, { type: '__proto__' }, { type: 'constructor' }, { type: 'toString' }]);
    data = json ? toJson(value) : msgpack(value);
    if (json && rng.chance(0.2)) data = '{"type":"ping","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}';
  }
  const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  return { kind, data, oversized: length > MiB };
}
