/**
 * Changes sent as prebuilt WebSocket frames (encode.ts spliceChangeFramed, transport/ws.ts
 * sendFramed) must be byte for byte what `ws` itself would put on the wire for the same payload:
 * header from ws's own Sender.frame, payload from spliceChange.
 */
import fc from 'fast-check';
import * as wsModule from 'ws';
import { createCodec, type ChangeMessage } from '@kalam/link/protocol';
import { encodeShared, frameBinary, spliceChange, spliceChangeFramed, WireSeq, wsHeaderLength, writeWsBinaryHeader, type SharedChange } from '../../../server/src/live/encode.js';

interface FrameOptions { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }
// ws's own frame builder (ws exports Sender; @types/ws does not declare it)
const wsFrame = (wsModule as unknown as { Sender: { frame: (data: Buffer, o: FrameOptions) => Buffer[] } }).Sender.frame;
const BINARY: FrameOptions = { fin: true, opcode: 2, mask: false, readOnly: false, rsv1: false };

function wsBytes(payload: Buffer): Buffer {
  return Buffer.concat(wsFrame(payload, BINARY));
}

test('the header matches ws for every length class, boundaries included', () => {
  const lengths = [0, 1, 125, 126, 127, 65535, 65536, 65537, 70_000];
  fc.assert(
    fc.property(fc.oneof(fc.constantFrom(...lengths), fc.integer({ min: 0, max: 200_000 })), (n) => {
      const out = Buffer.alloc(wsHeaderLength(n));
      expect(writeWsBinaryHeader(out, n)).toBe(out.length);
      expect(out).toEqual(wsFrame(Buffer.alloc(n), BINARY)[0]);
    }),
    { numRuns: 300 },
  );
});

test('a framed change is ws framing of exactly the spliced payload', () => {
  const msgpack = createCodec('msgpack');
  const row = fc.dictionary(fc.constantFrom('id', 'title', 'body', 'n'), fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.string({ minLength: 100, maxLength: 70_000 })), { minKeys: 1 });
  fc.assert(
    fc.property(row, fc.string({ minLength: 1, maxLength: 300 }).filter((s) => s.trim() !== ''), fc.option(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), { nil: undefined }), (r, id, prev) => {
      const shared: SharedChange = { type: 'change', change_type: 'insert', rows: [{ ...r, _seq: 5n }], seq: 7n };
      const encoded = encodeShared(msgpack, shared);
      const prevSeq = prev === undefined ? undefined : new WireSeq(prev);
      const payload = Buffer.from(spliceChange(encoded, id, prevSeq) as Uint8Array);
      const framed = spliceChangeFramed(encoded, id, prevSeq);
      expect(framed).toEqual(wsBytes(payload));
      expect(msgpack.decode(payload)).toEqual(msgpack.decode(msgpack.encode({ subscription_id: id, ...(prev === undefined ? {} : { prev_seq: prev }), ...shared } as ChangeMessage)));
    }),
    { numRuns: 150 },
  );
});

test('JSON changes are never framed here (they are text frames)', () => {
  const json = createCodec('json');
  const encoded = encodeShared(json, { type: 'change', change_type: 'insert', rows: [{ id: 1 }], seq: 2n });
  expect(spliceChangeFramed(encoded, 's', undefined)).toBeUndefined();
});

test('frameBinary (small acks and batches) is ws framing of a copy of the payload', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70_000 }), (bytes) => {
      const payload = Buffer.from(bytes);
      const framed = frameBinary(payload);
      expect(framed).toEqual(wsBytes(payload));
      framed.writeUInt8(framed.readUInt8(framed.length - 1) ^ 0xff, framed.length - 1); // a copy: the caller's payload is not touched
      if (payload.length > 0) expect(payload).toEqual(Buffer.from(bytes));
    }),
    { numRuns: 100 },
  );
});
