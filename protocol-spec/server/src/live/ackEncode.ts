/**
 * `subscription_ack` in msgpack without running the generic encoder per ack: a resume sends a
 * thousand at once, and the schema (the bulk of an ack) is the same for every subscription of a
 * projection. The schema entry is encoded once per schema by the codec itself; the few
 * per-subscription fields are written directly. Maps are named, so key order is free.
 */
import type { BatchControl, Codec, SchemaField, SubscriptionAckMessage } from '@kalam/link/protocol';
import { msgpackStr, startsWithAt } from './encode.js';
import { writeStrHeader } from './msgpackHeaders.js';

/** Encoded `schema` map entries (key + value), by schema array, per codec. */
const schemaEntries = new WeakMap<readonly SchemaField[], WeakMap<Codec, Uint8Array | null>>();

/** The ack as a msgpack frame, or undefined when `codec` is not msgpack or its layout is unexpected. */
export function encodeAckMsgpack(codec: Codec, ack: SubscriptionAckMessage): Uint8Array | undefined {
  if (codec.serialization !== 'msgpack') return undefined;
  const { total_rows: total, batch_control: control } = ack;
  const seq = control.last_seq_id;
  if (!isCount(total) || !isCount(control.batch_num) || (typeof seq === 'bigint' && (seq < 0n || seq >= 1n << 63n))) return undefined;
  const schema = schemaEntry(codec, ack.schema);
  if (schema === undefined) return undefined;
  const w = new Writer(64 + ack.subscription_id.length * 3 + schema.length);
  const entries = ack.resumed === undefined ? 5 : 6;
  w.byte(0x80 | entries);
  w.str('type');
  w.str('subscription_ack');
  w.str('subscription_id');
  w.str(ack.subscription_id);
  w.str('total_rows');
  w.uint(ack.total_rows);
  w.str('batch_control');
  batchControl(w, ack.batch_control);
  if (ack.resumed !== undefined) {
    w.str('resumed');
    w.byte(ack.resumed ? 0xc3 : 0xc2);
  }
  w.bytes(schema);
  return w.done();
}

function isCount(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

function batchControl(w: Writer, c: BatchControl): void {
  w.byte(0x84);
  w.str('batch_num');
  w.uint(c.batch_num);
  w.str('has_more');
  w.byte(c.has_more ? 0xc3 : 0xc2);
  w.str('status');
  w.str(c.status);
  w.str('last_seq_id');
  const s = c.last_seq_id;
  if (s === null || s === undefined) w.byte(0xc0);
  else w.u64(s);
}

/** `"schema"` key and value bytes exactly as `codec` encodes them (cut from a whole ack it encoded). */
function schemaEntry(codec: Codec, schema: readonly SchemaField[]): Uint8Array | undefined {
  let byCodec = schemaEntries.get(schema);
  if (byCodec === undefined) schemaEntries.set(schema, (byCodec = new WeakMap()));
  let entry = byCodec.get(codec);
  if (entry === undefined) {
    const base = { type: 'subscription_ack', subscription_id: '', total_rows: 0, batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: null } } as const;
    entry = null;
    let without: Uint8Array | string;
    let whole: Uint8Array | string;
    try {
      without = codec.encode({ ...base, schema: [] } as SubscriptionAckMessage);
      whole = codec.encode({ ...base, schema } as SubscriptionAckMessage);
    } catch {
      without = whole = '';
    }
    // both fixmaps of 5 entries with schema last: the empty schema is one byte (0x90) at the end
    if (typeof without !== 'string' && typeof whole !== 'string' && without[0] === 0x85 && whole[0] === 0x85 && without[without.length - 1] === 0x90) {
      const keyAt = without.length - 1 - SCHEMA_KEY.length;
      if (startsWithAt(whole, without.subarray(0, without.length - 1), 0) && startsWithAt(without, SCHEMA_KEY, keyAt)) entry = whole.slice(keyAt);
    }
    byCodec.set(codec, entry);
  }
  return entry ?? undefined;
}

const SCHEMA_KEY = msgpackStr('schema');

/** A growable msgpack writer for the few field kinds an ack has. */
class Writer {
  #buf: Buffer;
  #at = 0;
  constructor(size: number) {
    this.#buf = Buffer.allocUnsafe(size);
  }
  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(next, 0, 0, this.#at);
    this.#buf = next;
  }
  byte(b: number): void {
    this.#room(1);
    this.#buf[this.#at++] = b;
  }
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#at);
    this.#at += b.length;
  }
  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.#room(n + 5);
    this.#at = writeStrHeader(this.#buf, this.#at, n);
    this.#at += this.#buf.write(s, this.#at, 'utf8');
  }
  /** A non-negative safe integer, smallest form. */
  uint(v: number): void {
    this.#room(9);
    const buf = this.#buf;
    if (v < 0x80) buf[this.#at++] = v;
    else if (v <= 0xff) {
      buf[this.#at++] = 0xcc;
      buf[this.#at++] = v;
    } else if (v <= 0xffff) {
      buf[this.#at++] = 0xcd;
      this.#at = buf.writeUInt16BE(v, this.#at);
    } else if (v <= 0xffffffff) {
      buf[this.#at++] = 0xce;
      this.#at = buf.writeUInt32BE(v, this.#at);
    } else {
      // as a float64, which decodes to a number (a uint64 would decode to a bigint)
      buf[this.#at++] = 0xcb;
      this.#at = buf.writeDoubleBE(v, this.#at);
    }
  }
  /** A SeqId: uint64, as the codec writes a non-negative bigint. */
  u64(v: bigint): void {
    this.#room(9);
    this.#buf[this.#at++] = 0xcf;
    this.#at = this.#buf.writeBigUInt64BE(v, this.#at);
  }
  done(): Uint8Array {
    return this.#buf.subarray(0, this.#at);
  }
}
