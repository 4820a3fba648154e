/**
 * Encode a `change` once, send it to many subscriptions: the shared fields (type, change_type,
 * rows, old_values, seq) are encoded once per distinct projection, and each subscriber's own
 * fields (`subscription_id`, `prev_seq`) are spliced in front of those pre-encoded bytes.
 *
 * msgpack: `[map header for n+k entries][subscription_id][prev_seq][shared n entries]`.
 * JSON: `{"subscription_id":…,"prev_seq":"…",` + the shared members + `}`.
 */
import type { ChangeMessage, Codec, Frame, SeqId } from '@kalam/link/protocol';
import { fastPathAgrees, writeSharedChange } from './msgpackChange.js';
import { strHeaderLength, writeStrHeader } from './msgpackHeaders.js';

/** The shared part of a change, without `subscription_id` and `prev_seq`. */
export type SharedChange = Omit<ChangeMessage, 'subscription_id' | 'prev_seq'>;

/** A change encoded once; {@link spliceChange} turns it into one subscriber's frame. */
export type EncodedChange =
  | { readonly kind: 'msgpack'; readonly tail: Uint8Array; readonly entries: number }
  | { readonly kind: 'json'; readonly tail: string }
  /** The codec's output did not have the expected layout: encode per subscriber. */
  | { readonly kind: 'whole'; readonly shared: SharedChange; readonly codec: Codec };

const SUB_KEY = msgpackStr('subscription_id');
const PREV_KEY = msgpackStr('prev_seq');
const JSON_PREFIX = '{"subscription_id":"",';

/** Encode the shared part of a change with `codec` (once per projection). */
export function encodeShared(codec: Codec, shared: SharedChange): EncodedChange {
  if (codec.serialization === 'msgpack' && fastPathAgrees(codec)) {
    const direct = writeSharedChange(shared);
    if (direct !== undefined) return { kind: 'msgpack', tail: direct.tail, entries: direct.entries };
  }
  const full = codec.encode({ subscription_id: '', ...shared } as ChangeMessage);
  if (typeof full === 'string') {
    if (full.startsWith(JSON_PREFIX)) return { kind: 'json', tail: full.slice(JSON_PREFIX.length) };
    return { kind: 'whole', shared, codec };
  }
  const entries = Object.values(shared).filter((v) => v !== undefined).length + 1;
  // fixmap header, then "subscription_id" and the empty string a0
  const prefixLen = 1 + SUB_KEY.length + 1;
  if (entries <= 15 && full[0] === (0x80 | entries) && startsWithAt(full, SUB_KEY, 1) && full[prefixLen - 1] === 0xa0) {
    return { kind: 'msgpack', tail: full.subarray(prefixLen), entries: entries - 1 };
  }
  return { kind: 'whole', shared, codec };
}

/**
 * A SeqId with its wire forms computed once: a change's seq becomes the `prev_seq` of the next
 * event of every subscriber it reached, so those bytes are shared too.
 */
export class WireSeq {
  #bytes: Uint8Array | undefined;
  #json: string | undefined;
  constructor(readonly seq: SeqId) {}
  /** msgpack uint64 (`cf` + 8 bytes big-endian). */
  get msgpack(): Uint8Array {
    if (this.#bytes === undefined) {
      const b = Buffer.allocUnsafe(9); // a slice of the shared pool, not an ArrayBuffer per seq
      b[0] = 0xcf;
      b.writeBigUInt64BE(this.seq, 1);
      this.#bytes = b;
    }
    return this.#bytes;
  }
  /** JSON member `"prev_seq":"…",`. */
  get jsonMember(): string {
    return (this.#json ??= `"prev_seq":"${this.seq.toString(10)}",`);
  }
}

/** One subscriber's frame. `prevSeq` undefined = omit the field (KalamDB compat). */
export function spliceChange(encoded: EncodedChange, id: string, prevSeq: SeqId | WireSeq | undefined): Frame {
  const prev = typeof prevSeq === 'bigint' ? new WireSeq(prevSeq) : prevSeq;
  switch (encoded.kind) {
    case 'json':
      return `{"subscription_id":${JSON.stringify(id)},${prev === undefined ? '' : prev.jsonMember}${encoded.tail}`;
    case 'msgpack':
      return spliceMsgpack(encoded, id, prev, false);
    case 'whole': {
      const message = prev === undefined ? { subscription_id: id, ...encoded.shared } : { subscription_id: id, prev_seq: prev.seq, ...encoded.shared };
      return encoded.codec.encode(message as ChangeMessage);
    }
  }
}

/**
 * One subscriber's msgpack change as a complete server→client WebSocket binary frame (RFC 6455
 * header, unmasked, then the payload) in ONE buffer, so the transport writes it with a single
 * `write`: no per-frame header buffer, no two-chunk writev (see transport/ws.ts `sendFramed`).
 * `undefined` when the change is not spliced msgpack.
 */
export function spliceChangeFramed(encoded: EncodedChange, id: string, prevSeq: WireSeq | undefined): Buffer | undefined {
  if (encoded.kind !== 'msgpack') return undefined;
  return spliceMsgpack(encoded, id, prevSeq, true);
}

/** Bytes of the header of an unmasked WebSocket frame carrying `n` payload bytes. */
export function wsHeaderLength(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/** Write the header of a final, unmasked binary WebSocket frame of `n` payload bytes at 0; returns its length. */
export function writeWsBinaryHeader(out: Buffer, n: number): number {
  out[0] = 0x82;
  if (n < 126) {
    out[1] = n;
    return 2;
  }
  if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
    return 4;
  }
  out[1] = 127;
  out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
  out.writeUInt32BE(n >>> 0, 6);
  return 10;
}

/** `payload` as a complete binary WebSocket frame in one new buffer (header, then a copy of the payload). */
export function frameBinary(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(wsHeaderLength(payload.byteLength) + payload.byteLength);
  out.set(payload, writeWsBinaryHeader(out, payload.byteLength));
  return out;
}

/** The spliced msgpack payload; `framed`: with a WebSocket frame header in front of it. */
function spliceMsgpack(encoded: Extract<EncodedChange, { kind: 'msgpack' }>, id: string, prev: WireSeq | undefined, framed: boolean): Buffer {
  const entries = encoded.entries + 1 + (prev === undefined ? 0 : 1);
  const headerLen = entries <= 15 ? 1 : 3;
  const idLen = Buffer.byteLength(id, 'utf8');
  const idHeader = strHeaderLength(idLen);
  const size = headerLen + SUB_KEY.length + idHeader + idLen + (prev === undefined ? 0 : PREV_KEY.length + 9) + encoded.tail.length;
  const out = Buffer.allocUnsafe(framed ? wsHeaderLength(size) + size : size);
  let at = framed ? writeWsBinaryHeader(out, size) : 0;
  if (headerLen === 1) out[at] = 0x80 | entries;
  else out.set(msgpackMapHeader(entries), at);
  at += headerLen;
  out.set(SUB_KEY, at);
  at += SUB_KEY.length;
  at = writeStrHeader(out, at, idLen);
  at += out.write(id, at, 'utf8');
  if (prev !== undefined) {
    out.set(PREV_KEY, at);
    at += PREV_KEY.length;
    out.set(prev.msgpack, at);
    at += 9;
  }
  out.set(encoded.tail, at);
  return out;
}

function msgpackMapHeader(n: number): Uint8Array {
  if (n <= 15) return Uint8Array.of(0x80 | n);
  return Uint8Array.of(0xde, n >> 8, n & 0xff);
}

/** msgpack str (fixstr/str8/str16/str32) of a JS string. */
export function msgpackStr(value: string): Uint8Array {
  const n = Buffer.byteLength(value, 'utf8');
  const out = Buffer.allocUnsafe(strHeaderLength(n) + n);
  out.write(value, writeStrHeader(out, 0, n), 'utf8');
  return out;
}

/** True when `haystack` holds `needle` at `offset`. */
export function startsWithAt(haystack: Uint8Array, needle: Uint8Array, offset: number): boolean {
  if (haystack.length < offset + needle.length) return false;
  for (let i = 0; i < needle.length; i++) if (haystack[offset + i] !== needle[i]) return false;
  return true;
}
