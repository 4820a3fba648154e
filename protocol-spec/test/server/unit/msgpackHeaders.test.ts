/** The server's msgpack length headers are the ones @msgpack/msgpack writes, at every width boundary. */
import { encode } from '@msgpack/msgpack';
import { strHeaderLength, writeSizedHeader, writeStrHeader } from '../../../server/src/live/msgpackHeaders.js';

const LENGTHS = [0, 1, 31, 32, 255, 256, 65535, 65536, 70_000];

test.each(LENGTHS)('str header for %i bytes', (n) => {
  const reference = Buffer.from(encode('x'.repeat(n)));
  const out = Buffer.alloc(5);
  const end = writeStrHeader(out, 0, n);
  expect(end).toBe(strHeaderLength(n));
  expect(out.subarray(0, end)).toEqual(reference.subarray(0, reference.length - n));
});

test.each(LENGTHS)('bin header for %i bytes', (n) => {
  const reference = Buffer.from(encode(new Uint8Array(n)));
  const out = Buffer.alloc(5);
  const end = writeSizedHeader(out, 0, n, 0xc4);
  expect(out.subarray(0, end)).toEqual(reference.subarray(0, reference.length - n));
});
