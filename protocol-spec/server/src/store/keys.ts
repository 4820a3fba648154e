/**
 * Order-preserving key layout of the engine's single RocksDB keyspace.
 *
 * | prefix | key                                   | value                      |
 * | ------ | ------------------------------------- | -------------------------- |
 * | `M`    | meta name                             | meta value                 |
 * | `N`    | namespace                             | JSON                       |
 * | `T`    | `ns.table`                            | table JSON                 |
 * | `U`    | user name                             | user JSON                  |
 * | `r`    | tid · partition · 0 · pk tuple        | row                        |
 * | `s`    | tid · partition · 0 · seq (u64 BE)    | row (the `_seq` index)     |
 * | `c`    | tid · partition · 0 · seq             | change-log entry           |
 * | `g`    | seq                                   | tid · partition (log order)|
 * | `h`    | tid · partition                       | highest trimmed seq        |
 * | `n`    | tid · partition                       | row count (u64)            |
 * | `x`    | namespace · 0 · key                   | runtime-owned value        |
 *
 * `tid` is a 4-byte table incarnation id (a re-created table never sees its predecessor's keys).
 */
import type { SeqId } from '@kalam/link/protocol';

export const P = {
  meta: 0x4d, // M
  namespace: 0x4e, // N
  table: 0x54, // T
  user: 0x55, // U
  row: 0x72, // r
  seqIndex: 0x73, // s
  change: 0x63, // c
  logOrder: 0x67, // g
  trimmed: 0x68, // h
  rowCount: 0x6e, // n
  runtime: 0x78, // x
} as const;

/** `prefix · utf8(name)`. */
export function nameKey(prefix: number, name: string): Buffer {
  return Buffer.concat([Buffer.of(prefix), Buffer.from(name, 'utf8')]);
}

/** All keys starting with `prefix` bytes: `[prefix, successor(prefix))`. */
export function prefixRange(prefix: Buffer): { gte: Buffer; lt: Buffer } {
  return { gte: prefix, lt: successor(prefix) };
}

/** Smallest key greater than every key starting with `prefix`. */
export function successor(prefix: Buffer): Buffer {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i] = out[i]! + 1;
      return out.subarray(0, i + 1);
    }
  }
  return Buffer.concat([out, Buffer.of(0xff)]);
}

export function u64(seq: SeqId): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(seq);
  return b;
}

export function readU64(buf: Buffer, offset: number): SeqId {
  return buf.readBigUInt64BE(offset);
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n);
  return b;
}

/** `prefix · tid · partition · 0` — the start of one table partition's keys. */
export function partitionPrefix(prefix: number, tid: number, partition: string): Buffer {
  return Buffer.concat([Buffer.of(prefix), u32(tid), Buffer.from(partition, 'utf8'), Buffer.of(0)]);
}

/** `prefix · tid` — every partition of one table. */
export function tablePrefix(prefix: number, tid: number): Buffer {
  return Buffer.concat([Buffer.of(prefix), u32(tid)]);
}

/** Key of a `_seq`-ordered entry (`s`/`c`) in one partition. */
export function seqKey(prefix: number, tid: number, partition: string, seq: SeqId): Buffer {
  return Buffer.concat([partitionPrefix(prefix, tid, partition), u64(seq)]);
}

/** The seq suffix of a `s`/`c` key. */
export function seqOfKey(key: Buffer): SeqId {
  return readU64(key, key.length - 8);
}

/** `tid · partition` (the value of a `g` entry and the suffix of an `h` key). */
export function partitionRef(tid: number, partition: string): Buffer {
  return Buffer.concat([u32(tid), Buffer.from(partition, 'utf8')]);
}

export function parsePartitionRef(buf: Buffer): { tid: number; partition: string } {
  return { tid: buf.readUInt32BE(0), partition: buf.subarray(4).toString('utf8') };
}

/** Key of a runtime KV entry. */
export function runtimeKey(namespace: string, key: Buffer | string): Buffer {
  return Buffer.concat([Buffer.of(P.runtime), Buffer.from(namespace, 'utf8'), Buffer.of(0), typeof key === 'string' ? Buffer.from(key, 'utf8') : key]);
}

/** A primary-key cell: the types allowed in a primary key. */
export type KeyCell = number | bigint | string | boolean;

/** Order-preserving encoding of a primary-key tuple. */
export function encodeKeyTuple(cells: readonly KeyCell[]): Buffer {
  const parts: Buffer[] = [];
  for (const cell of cells) {
    if (typeof cell === 'number') {
      const b = Buffer.allocUnsafe(9);
      b[0] = 0x02;
      b.writeDoubleBE(cell === 0 ? 0 : cell, 1); // -0 sorts (and keys) as 0
      if (cell < 0) for (let i = 1; i < 9; i++) b[i] = ~b[i]! & 0xff;
      else b[1] = b[1]! | 0x80;
      parts.push(b);
    } else if (typeof cell === 'bigint') {
      const b = Buffer.allocUnsafe(9);
      b[0] = 0x03;
      b.writeBigUInt64BE(BigInt.asUintN(64, cell) ^ (1n << 63n), 1);
      parts.push(b);
    } else if (typeof cell === 'string') {
      const raw = Buffer.from(cell, 'utf8');
      const out: number[] = [0x04];
      for (const byte of raw) {
        out.push(byte);
        if (byte === 0) out.push(0xff);
      }
      out.push(0, 0);
      parts.push(Buffer.from(out));
    } else {
      parts.push(Buffer.of(0x05, cell ? 1 : 0));
    }
  }
  return Buffer.concat(parts);
}
