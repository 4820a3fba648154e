/**
 * The benchmark row and the baseline `change` message (tooling.md Part 2): one row of
 * `{id, title (30 ch), body (75 ch), _seq (64-bit, above 2^53)}` plus a server timestamp `ts`.
 * About 209 B in msgpack, 263 B in JSON.
 */
import { Encoder } from '@msgpack/msgpack';

export const TITLE = 'Live row title: thirty chars.!'.padEnd(30, '.').slice(0, 30);
export const BODY = 'Body text of the benchmark row, seventy-five characters of plain ASCII'.padEnd(75, '.').slice(0, 75);
/** A snowflake-style SeqId above 2^53 (would lose precision as a JS number). */
export const SEQ = 7341234567890123456n;

if (TITLE.length !== 30 || BODY.length !== 75) throw new Error('payload strings drifted');

/** The baseline change message (msgpack flavour: `_seq` bigint). */
export function changeMessage(id, ts) {
  return {
    type: 'change',
    subscription_id: 's1',
    change_type: 'insert',
    rows: [{ id, title: TITLE, body: BODY, _seq: SEQ }],
    ts,
  };
}

/** The same message for JSON transports: `_seq` as a decimal string. */
export function changeMessageJson(id, ts) {
  return {
    type: 'change',
    subscription_id: 's1',
    change_type: 'insert',
    rows: [{ id, title: TITLE, body: BODY, _seq: SEQ.toString() }],
    ts,
  };
}

/**
 * The baseline message encoded once as msgpack, with `ts` as a float64 at `tsOffset`, so a
 * broadcaster copies the bytes and patches `ts` with `writeDoubleBE` instead of re-encoding.
 */
export function msgpackTemplate(id = 1) {
  const encoder = new Encoder({ useBigInt64: true });
  // 0.5 forces a float64 (0xcb) encoding; find it right after the "ts" key.
  const bytes = Buffer.from(encoder.encode(changeMessage(id, 0.5)));
  const key = Buffer.from([0xa2, 0x74, 0x73, 0xcb]); // fixstr "ts" + float64 marker
  const at = bytes.indexOf(key);
  if (at < 0) throw new Error('ts not found in encoded frame');
  return { bytes, tsOffset: at + key.length };
}
