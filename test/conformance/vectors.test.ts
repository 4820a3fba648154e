/**
 * The golden vectors, run exactly as protocol-spec/vectors/README.md tells an outside SDK author,
 * through this folder's own codec (plain @msgpack/msgpack + JSON), not @kalam/link's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFrame, encodeJson, encodeMsgpack, SpecError } from './support/specCodec.js';

const dir = join(__dirname, '..', '..', 'protocol-spec', 'vectors');
interface Valid { name: string; msgpack: string; json: string; decoded: unknown; decoded_json?: unknown }
interface Lenient { name: string; encoding: 'msgpack' | 'json'; frame: string; decoded: unknown }
interface Invalid { name: string; encoding: 'msgpack' | 'json'; frame: string; max_frame_bytes?: number; error: string; reason: string }
const load = <T>(file: string): T[] => (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { vectors: T[] }).vectors;

/** Tagged JSON → native values (README "Decoded values"). */
function fromTagged(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromTagged);
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o['$bigint'] === 'string') return BigInt(o['$bigint']);
    if (keys.length === 1 && typeof o['$bytes'] === 'string') return new Uint8Array(Buffer.from(o['$bytes'], 'hex'));
    return Object.fromEntries(keys.map((k) => [k, fromTagged(o[k])]));
  }
  return v;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const decodeOf = (encoding: 'msgpack' | 'json', frame: string, max?: number): unknown =>
  encoding === 'msgpack' ? decodeFrame(Buffer.from(frame, 'hex'), true, 'msgpack', max) : decodeFrame(frame, false, 'json', max);

const valid = [...load<Valid>('valid/client.json'), ...load<Valid>('valid/server.json'), ...load<Valid>('valid/batch-1000.json')];

describe('golden vectors from an independent codec', () => {
  test.each(valid.map((v) => [v.name, v] as const))('valid %s: decode msgpack, encode byte-exact, decode json, encode json', (_n, v) => {
    const msg = fromTagged(v.decoded);
    expect(decodeOf('msgpack', v.msgpack)).toEqual(msg);
    expect(hex(encodeMsgpack(msg))).toBe(v.msgpack);
    expect(decodeOf('json', v.json)).toEqual(fromTagged(v.decoded_json ?? v.decoded));
    expect(encodeJson(msg)).toBe(v.json);
  });

  test.each(load<Lenient>('lenient/lenient.json').map((v) => [v.name, v] as const))('lenient %s decodes to the stated value', (_n, v) => {
    expect(decodeOf(v.encoding, v.frame)).toEqual(fromTagged(v.decoded));
  });

  test.each(load<Invalid>('invalid/invalid.json').map((v) => [v.name, v] as const))('invalid %s is rejected with its code', (_n, v) => {
    let caught: unknown;
    try {
      decodeOf(v.encoding, v.frame, v.max_frame_bytes);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SpecError);
    expect((caught as SpecError).code).toBe(v.error);
  });
});
