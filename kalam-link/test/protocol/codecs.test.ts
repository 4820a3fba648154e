import { gzipSync, gunzipSync } from 'node:zlib';
import {
  createCodec,
  createJsonCodec,
  createMsgpackCodec,
  decodeFrame,
  decodePayload,
  encodeJson,
  encodeMsgpack,
  isGzip,
  KalamError,
  type Message,
} from '../../src/protocol/index.js';
import { SAMPLE_MESSAGES, SEQ_0, SEQ_2_53_PLUS_1, SEQ_MAX_63 } from './fixtures.js';

const json = createJsonCodec();
const msgpack = createMsgpackCodec();

function protocolError(fn: () => unknown): KalamError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KalamError);
    expect((e as KalamError).code).toBe('PROTOCOL');
    return e as KalamError;
  }
  throw new Error('expected a PROTOCOL error');
}

/** What the JSON codec gives back: bytes become byte arrays, non-`_seq` bigint cells decimal strings. */
function jsonView(m: Message): unknown {
  const cell = (v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v);
  const rows = (rs: readonly Record<string, unknown>[]) => rs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === '_seq' ? v : cell(v)])));
  switch (m.type) {
    case 'initial_data_batch':
      return { ...m, rows: rows(m.rows) };
    case 'change':
      return { ...m, ...(m.rows ? { rows: rows(m.rows) } : {}), ...(m.old_values ? { old_values: rows(m.old_values) } : {}) };
    case 'subscribe':
      return m.subscription.params ? { ...m, subscription: { ...m.subscription, params: m.subscription.params.map(cell) } } : m;
    default:
      return m;
  }
}

describe('msgpack codec', () => {
  it.each(SAMPLE_MESSAGES.map((m) => [m.type, m] as const))('round-trips %s exactly', (_t, m) => {
    const bytes = msgpack.encode(m);
    expect(bytes).toBeInstanceOf(Uint8Array);
    const back = msgpack.decode(bytes);
    expect(back).toEqual(m);
    expect(msgpack.encode(back)).toEqual(bytes);
  });

  it.each([SEQ_0, SEQ_2_53_PLUS_1, SEQ_MAX_63])('carries SeqId %s exactly as uint64', (seq) => {
    const bytes = encodeMsgpack({ type: 'next_batch', subscription_id: 's', last_seq_id: seq });
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex.endsWith(`cf${seq.toString(16).padStart(16, '0')}`)).toBe(true);
    const back = msgpack.decode(bytes);
    expect(back).toEqual({ type: 'next_batch', subscription_id: 's', last_seq_id: seq });
    expect(typeof (back as { last_seq_id: unknown }).last_seq_id).toBe('bigint');
  });

  it('normalises SeqIds sent compactly or as strings by other encoders (rmp-serde, KalamDB row _seq)', () => {
    // {type:"change", subscription_id:"s", change_type:"insert", rows:[{_seq:"42", n:7}], seq: 42 (fixint)}
    const foreign = Buffer.from(
      '85a474797065a66368616e6765af737562736372697074696f6e5f6964a173ab6368616e67655f74797065a6696e73657274a4726f77739182a45f736571a23432a16e07a3736571' + '2a',
      'hex',
    );
    expect(msgpack.decode(foreign)).toEqual({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ _seq: 42n, n: 7 }], seq: 42n });
  });

  it('rejects bigints the wire cannot carry instead of wrapping them', () => {
    protocolError(() => encodeMsgpack({ type: 'next_batch', subscription_id: 's', last_seq_id: SEQ_MAX_63 + 1n }));
    protocolError(() => encodeMsgpack({ type: 'next_batch', subscription_id: 's', last_seq_id: -1n }));
    const row = (v: bigint) => ({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ v, _seq: 1n }] }) as const;
    protocolError(() => encodeMsgpack(row(1n << 64n)));
    protocolError(() => encodeMsgpack(row(-(1n << 63n) - 1n)));
    expect(msgpack.decode(encodeMsgpack(row((1n << 64n) - 1n)))).toEqual(row((1n << 64n) - 1n));
    expect(msgpack.decode(encodeMsgpack(row(-(1n << 63n))))).toEqual(row(-(1n << 63n)));
  });

  it('rejects a negative or too large SeqId on decode', () => {
    // next_batch with last_seq_id = int64 -1
    const neg = Buffer.from('83a474797065aa6e6578745f6261746368af737562736372697074696f6e5f6964a173ab6c6173745f7365715f6964d3ffffffffffffffff', 'hex');
    expect(protocolError(() => msgpack.decode(neg)).message).toContain('next_batch.last_seq_id');
    const big = Buffer.from('83a474797065aa6e6578745f6261746368af737562736372697074696f6e5f6964a173ab6c6173745f7365715f6964cf8000000000000000', 'hex');
    protocolError(() => msgpack.decode(big));
  });

  it('turns truncated, garbage and trailing bytes into PROTOCOL errors', () => {
    const bytes = encodeMsgpack(SAMPLE_MESSAGES[12] as Message);
    for (let n = 0; n < bytes.length; n += 7) protocolError(() => msgpack.decode(bytes.subarray(0, n)));
    protocolError(() => msgpack.decode(new Uint8Array([0xc1])));
    protocolError(() => msgpack.decode(new Uint8Array([...encodeMsgpack({ type: 'ping' }), 0])));
    protocolError(() => msgpack.decode(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])));
    protocolError(() => msgpack.decode(new Uint8Array([0x92, 0x01, 0x02]))); // an array, not a map
  });

  it('decodes a text frame as JSON (a text frame is always JSON)', () => {
    expect(msgpack.decode('{"type":"ping"}')).toEqual({ type: 'ping' });
  });

  it('refuses frames above maxFrameBytes', () => {
    const small = createMsgpackCodec({ maxFrameBytes: 64 });
    const big = encodeMsgpack({ type: 'error', code: 'X', message: 'x'.repeat(100) });
    expect(protocolError(() => small.decode(big)).message).toMatch(/too large/);
    expect(small.decode(encodeMsgpack({ type: 'ping' }))).toEqual({ type: 'ping' });
  });
});

describe('JSON codec', () => {
  it.each(SAMPLE_MESSAGES.map((m) => [m.type, m] as const))('round-trips %s (64-bit cells as strings, bytes as arrays)', (_t, m) => {
    const text = json.encode(m);
    expect(typeof text).toBe('string');
    expect(json.decode(text)).toEqual(jsonView(m));
  });

  it.each([SEQ_0, SEQ_2_53_PLUS_1, SEQ_MAX_63])('writes SeqId %s as a decimal string and reads it back as bigint', (seq) => {
    const text = encodeJson({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ _seq: seq }], seq, prev_seq: seq });
    expect(text).toBe(`{"type":"change","subscription_id":"s","change_type":"insert","rows":[{"_seq":"${seq}"}],"seq":"${seq}","prev_seq":"${seq}"}`);
    const back = json.decode(text) as unknown as { seq: unknown; rows: { _seq: unknown }[] };
    expect(back.seq).toBe(seq);
    expect(back.rows[0]?._seq).toBe(seq);
  });

  it('accepts SeqIds as safe numbers, and as KalamDB-style unsafe JSON numbers without rounding', () => {
    expect(json.decode('{"type":"next_batch","subscription_id":"s","last_seq_id":42}')).toEqual({ type: 'next_batch', subscription_id: 's', last_seq_id: 42n });
    const kalamdb = '{"type":"subscription_ack","subscription_id":"s","total_rows":0,"batch_control":{"batch_num":0,"has_more":false,"status":"ready","last_seq_id":9223372036854775807},"schema":[]}';
    expect((json.decode(kalamdb) as { batch_control: { last_seq_id: unknown } }).batch_control.last_seq_id).toBe(SEQ_MAX_63);
    // Unsafe numbers inside strings and fractions are left alone.
    const tricky = '{"type":"error","code":"X","message":"x\\":12345678901234567890 1.12345678901234567"}';
    expect(json.decode(tricky)).toEqual({ type: 'error', code: 'X', message: 'x":12345678901234567890 1.12345678901234567' });
  });

  it('leaves large non-SeqId numbers (DOUBLE cells) as numbers', () => {
    const text = '{"type":"change","subscription_id":"s","change_type":"insert","rows":[{"d":100000000000000000000,"seq":12345678901234567890,"_seq":9223372036854775807}]}';
    expect(json.decode(text)).toEqual({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ d: 1e20, seq: '12345678901234567890', _seq: SEQ_MAX_63 }] });
  });

  it('accepts UTF-8 bytes and rejects invalid UTF-8', () => {
    expect(json.decode(new TextEncoder().encode('{"type":"pong"}'))).toEqual({ type: 'pong' });
    protocolError(() => json.decode(new Uint8Array([0x7b, 0xff, 0x7d])));
  });

  it('turns malformed JSON into PROTOCOL errors', () => {
    for (const bad of ['', '{', 'null', '[]', '"ping"', '{"type":1}', '{"type":"nope"}', '{"type":"unsubscribe"}', '{"type":"unsubscribe","subscription_id":"  "}']) {
      protocolError(() => json.decode(bad));
    }
  });

  it('counts UTF-8 bytes for the frame limit', () => {
    const codec = createJsonCodec({ maxFrameBytes: 40 });
    const ok = '{"type":"error","code":"X","message":"ab"}'.slice(0, 40);
    expect(ok.length).toBeLessThanOrEqual(40);
    const emoji = `{"type":"error","code":"X","message":"${'🚀'.repeat(3)}"}`; // 37 units, 43 bytes
    expect(protocolError(() => codec.decode(emoji)).message).toMatch(/too large/);
  });
});

describe('frames', () => {
  it('detects gzip by its magic', () => {
    expect(isGzip(gzipSync(Buffer.from('x')))).toBe(true);
    expect(isGzip(encodeMsgpack({ type: 'ping' }))).toBe(false);
    expect(isGzip(new Uint8Array([0x1f]))).toBe(false);
  });

  it('applies the decoding rule: text → JSON, binary → msgpack, gzip → inflate then negotiated serialization', () => {
    const m = SAMPLE_MESSAGES[12] as Message;
    expect(decodeFrame(encodeJson(m), 'msgpack')).toEqual(json.decode(encodeJson(m)));
    expect(decodeFrame(encodeMsgpack(m), 'json')).toEqual(m);
    const packed = encodeMsgpack(m);
    const ab = new ArrayBuffer(packed.byteLength);
    new Uint8Array(ab).set(packed);
    expect(decodeFrame(ab, 'msgpack')).toEqual(m);
    const inflate = (b: Uint8Array) => gunzipSync(b);
    expect(decodeFrame(gzipSync(encodeMsgpack(m)), 'msgpack', { inflate })).toEqual(m);
    expect(decodeFrame(gzipSync(encodeJson(m)), 'json', { inflate })).toEqual(json.decode(encodeJson(m)));
    expect(decodePayload(gunzipSync(gzipSync(encodeMsgpack(m))), 'msgpack')).toEqual(m);
    protocolError(() => decodeFrame(gzipSync(encodeMsgpack(m)), 'msgpack'));
    protocolError(() => decodeFrame(new Uint8Array([0x1f, 0x8b, 1, 2]), 'msgpack', { inflate }));
    expect(protocolError(() => decodeFrame(gzipSync(Buffer.alloc(1000)), 'msgpack', { inflate, maxFrameBytes: 500 })).message).toMatch(/too large/);
  });

  it('creates codecs by serialization', () => {
    expect(createCodec('json').serialization).toBe('json');
    expect(createCodec('msgpack').serialization).toBe('msgpack');
    expect(() => createCodec('xml' as 'json')).toThrow(KalamError);
  });
});
