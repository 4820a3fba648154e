/**
 * The shared part of a `change` written as msgpack directly, byte for byte what the link's msgpack
 * codec (@msgpack/msgpack, `useBigInt64`) produces for it — without the generic encoder's per-value
 * dispatch and the encode-time message check, which together were most of a resume's encode cost.
 * Anything outside the plain cell types (a Date, a typed array other than Uint8Array, a string
 * with a lone surrogate, a bigint the codec would refuse…) returns undefined, and the
 * caller encodes with the codec as before. {@link fastPathAgrees} checks a codec once before use.
 */
import type { ChangeMessage, Codec, Row } from '@kalam/link/protocol';
import type { SharedChange } from './encode.js';
import { writeSizedHeader, writeStrHeader } from './msgpackHeaders.js';

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const SEQ_MAX = (1n << 63n) - 1n;
const MAX_DEPTH = 100;

/** Scratch space reused by every encode (encoding is synchronous); grows on demand. */
let buf = Buffer.allocUnsafeSlow(16 * 1024);
let at = 0;

class TooSmall extends Error {}
const TOO_SMALL = new TooSmall();

function room(n: number): void {
  if (at + n > buf.length) throw TOO_SMALL;
}

/** A lone surrogate: @msgpack/msgpack writes it as WTF-8 or U+FFFD depending on the string's length. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Write `s`; false (nothing usable written) when it holds a lone surrogate. */
function str(s: string): boolean {
  const len = s.length;
  // short ASCII (column names, most values): no native call
  if (len < 32) {
    room(1 + len);
    const start = at;
    buf[at++] = 0xa0 | len;
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[at++] = c;
    }
    if (i === len) return true;
    at = start;
  }
  if (LONE_SURROGATE.test(s)) return false;
  const n = Buffer.byteLength(s, 'utf8');
  room(5 + n);
  at = writeStrHeader(buf, at, n);
  at += buf.write(s, at, 'utf8');
  return true;
}

function num(v: number): void {
  room(9);
  if (Number.isSafeInteger(v)) {
    if (v >= 0) {
      if (v < 0x80) buf[at++] = v;
      else if (v < 0x100) {
        buf[at++] = 0xcc;
        buf[at++] = v;
      } else if (v < 0x10000) {
        buf[at++] = 0xcd;
        buf.writeUInt16BE(v, at);
        at += 2;
      } else if (v < 0x100000000) {
        buf[at++] = 0xce;
        buf.writeUInt32BE(v, at);
        at += 4;
      } else float(v); // the codec (useBigInt64) writes larger numbers as float64
      return;
    }
    if (v >= -0x20) buf[at++] = 0xe0 | (v + 0x20);
    else if (v >= -0x80) {
      buf[at++] = 0xd0;
      buf.writeInt8(v, at++);
    } else if (v >= -0x8000) {
      buf[at++] = 0xd1;
      buf.writeInt16BE(v, at);
      at += 2;
    } else if (v >= -0x80000000) {
      buf[at++] = 0xd2;
      buf.writeInt32BE(v, at);
      at += 4;
    } else float(v);
    return;
  }
  float(v);
}

function float(v: number): void {
  buf[at++] = 0xcb;
  buf.writeDoubleBE(v, at);
  at += 8;
}

function header(n: number, fix: number, x16: number): void {
  room(5);
  if (n < 16) buf[at++] = fix | n;
  else if (n < 0x10000) {
    buf[at++] = x16;
    buf.writeUInt16BE(n, at);
    at += 2;
  } else {
    buf[at++] = x16 + 1;
    buf.writeUInt32BE(n, at);
    at += 4;
  }
}

/** One value; false when only the codec can encode it exactly. */
function value(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'number':
      num(v);
      return true;
    case 'bigint':
      if (v < INT64_MIN || v > UINT64_MAX) return false;
      room(9);
      if (v >= 0n) {
        buf[at++] = 0xcf;
        buf.writeBigUInt64BE(v, at);
      } else {
        buf[at++] = 0xd3;
        buf.writeBigInt64BE(v, at);
      }
      at += 8;
      return true;
    case 'boolean':
      room(1);
      buf[at++] = v ? 0xc3 : 0xc2;
      return true;
    case 'undefined':
      room(1);
      buf[at++] = 0xc0;
      return true;
    case 'object':
      if (v === null) {
        room(1);
        buf[at++] = 0xc0;
        return true;
      }
      if (depth > MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        header(v.length, 0x90, 0xdc);
        for (const item of v as unknown[]) if (!value(item, depth + 1)) return false;
        return true;
      }
      if (v instanceof Uint8Array) return v.constructor === Uint8Array || v instanceof Buffer ? bin(v) : false;
      return plainObject(v) ? map(v as Record<string, unknown>, depth) : false;
    default:
      return false;
  }
}

function bin(v: Uint8Array): boolean {
  const n = v.byteLength;
  room(5 + n);
  at = writeSizedHeader(buf, at, n, 0xc4);
  buf.set(v, at);
  at += n;
  return true;
}

function plainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function map(o: Record<string, unknown>, depth: number): boolean {
  const keys = Object.keys(o);
  header(keys.length, 0x80, 0xde);
  for (const k of keys) {
    if (!str(k) || !value(o[k], depth + 1)) return false;
  }
  return true;
}

function rows(key: string, list: readonly Row[]): boolean {
  return str(key) && value(list, 1);
}

/**
 * The map entries of `shared` (everything after the map header) and their count, as the msgpack
 * codec writes them; undefined when a value needs the codec itself.
 */
export function writeSharedChange(shared: SharedChange): { readonly tail: Uint8Array; readonly entries: number } | undefined {
  const seq = shared.seq;
  if (seq !== undefined && (typeof seq !== 'bigint' || seq < 0n || seq > SEQ_MAX)) return undefined;
  for (;;) {
    at = 0;
    try {
      let entries = 2;
      // the key order of the object, as the codec walks it
      for (const key of Object.keys(shared) as (keyof SharedChange)[]) {
        const v = shared[key];
        if (v === undefined) continue;
        if (key === 'type' || key === 'change_type') {
          if (typeof v !== 'string' || !str(key) || !str(v)) return undefined;
        } else if (key === 'rows' || key === 'old_values') {
          if (!Array.isArray(v) || !rows(key, v as readonly Row[])) return undefined;
          entries++;
        } else if (key === 'seq') {
          str(key);
          value(v, 1);
          entries++;
        } else return undefined;
      }
      if (shared.type !== 'change' || typeof shared.change_type !== 'string') return undefined;
      const out = Buffer.allocUnsafe(at);
      buf.copy(out, 0, 0, at);
      return { tail: out, entries };
    } catch (e) {
      if (e !== TOO_SMALL) throw e;
      buf = Buffer.allocUnsafeSlow(buf.length * 4);
    }
  }
}

const agrees = new WeakMap<Codec, boolean>();
/** `"subscription_id": ""` as msgpack. */
const SUB_ID_EMPTY = Buffer.from([0xaf, ...Buffer.from('subscription_id'), 0xa0]);
/** Cells of every kind the fast path writes itself, at each width boundary. */
const PROBE: SharedChange = {
  type: 'change',
  change_type: 'update',
  rows: [
    {
      s: 'ascii',
      u: 'ünï✓😀',
      l: 'x'.repeat(40),
      n: [0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, 1.5, -0, NaN],
      b: [true, false, null],
      g: [0n, (1n << 64n) - 1n, -(1n << 63n), 5n],
      bytes: Uint8Array.of(1, 2, 3),
      doc: { k: [1, 'x', { z: null }] },
    },
  ],
  old_values: [{ s: 'a' }],
  seq: 7341234567890123456n,
};

/** True when the fast path writes what `codec` writes (checked once per codec, on a probe change). */
export function fastPathAgrees(codec: Codec): boolean {
  let ok = agrees.get(codec);
  if (ok === undefined) {
    ok = false;
    try {
      const whole = codec.encode({ ...PROBE, subscription_id: '' } as ChangeMessage);
      const fast = writeSharedChange(PROBE);
      // the codec puts subscription_id last here (spread order): header, shared entries, `subscription_id: ""`
      if (typeof whole !== 'string' && fast !== undefined) {
        const expected = Buffer.concat([Buffer.of(0x80 | (fast.entries + 1)), fast.tail, SUB_ID_EMPTY]);
        ok = expected.equals(Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength));
      }
    } catch {
      ok = false;
    }
    agrees.set(codec, ok);
  }
  return ok;
}
