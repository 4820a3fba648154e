import { runInNewContext } from 'node:vm';
import { toBytes } from '../../src/transport/webSocketLike.js';

describe('toBytes', () => {
  test('accepts an ArrayBuffer from another realm (jsdom with Node ws, iframes)', () => {
    const foreign = runInNewContext('new Uint8Array([1, 2, 3]).buffer') as ArrayBuffer;
    expect(foreign instanceof ArrayBuffer).toBe(false);
    expect(Array.from(toBytes(foreign) ?? [])).toEqual([1, 2, 3]);
  });

  test('keeps views without copying and joins fragmented buffers', () => {
    const backing = new Uint8Array([9, 1, 2, 9]);
    const view = toBytes(new DataView(backing.buffer, 1, 2));
    expect(Array.from(view ?? [])).toEqual([1, 2]);
    expect(view?.buffer).toBe(backing.buffer);
    expect(Array.from(toBytes([new Uint8Array([1]), new Uint8Array([2, 3])]) ?? [])).toEqual([1, 2, 3]);
  });

  test('rejects what is not bytes', () => {
    expect(toBytes('text')).toBeUndefined();
    expect(toBytes({})).toBeUndefined();
  });
});
