/**
 * msgpack length headers written into a buffer at an offset: one ladder for the server's
 * hand-built msgpack (encode.ts splices, ackEncode.ts, msgpackChange.ts).
 */

/** Bytes of a msgpack str header for `n` payload bytes. */
export function strHeaderLength(n: number): number {
  return n <= 31 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5;
}

/** Write the msgpack str header for `n` payload bytes at `at` (fixstr, str8/16/32); returns the offset after it. */
export function writeStrHeader(out: Buffer, at: number, n: number): number {
  if (n > 31) return writeSizedHeader(out, at, n, 0xd9);
  out[at] = 0xa0 | n;
  return at + 1;
}

/**
 * Write an 8-, 16- or 32-bit length header for `n` bytes; the three type codes are consecutive
 * from `code8` (str8/16/32 at 0xd9, bin8/16/32 at 0xc4). Returns the offset after it.
 */
export function writeSizedHeader(out: Buffer, at: number, n: number, code8: number): number {
  if (n <= 0xff) {
    out[at] = code8;
    out[at + 1] = n;
    return at + 2;
  }
  if (n <= 0xffff) {
    out[at] = code8 + 1;
    out.writeUInt16BE(n, at + 1);
    return at + 3;
  }
  out[at] = code8 + 2;
  out.writeUInt32BE(n, at + 1);
  return at + 5;
}
