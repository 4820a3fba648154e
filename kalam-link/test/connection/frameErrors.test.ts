/**
 * Inbound frames that cannot be decoded (bad msgpack, over maxFrameBytes, bad gzip) are reported
 * on the link's `error` event and skipped; the frames around them keep their order, and the next
 * connection of the same link (which reuses the first one's codecs) decodes as before.
 */
import { gzipSync } from 'node:zlib';
import { Auth } from '../../src/auth.js';
import type { KalamError } from '../../src/errors.js';
import { createLink } from '../../src/link.js';
import { createCodec } from '../../src/protocol/frame.js';
import type { ChangeMessage } from '../../src/protocol/messages.js';
import type { SubscriptionEvent } from '../../src/subscriptions/types.js';
import { SCHEMA } from '../support/fakeServer.js';
import { SocketHub } from '../support/fakeSocket.js';
import { flush, ManualClock } from '../support/manualClock.js';
import { trackUnhandledRejections } from '../support/rejections.js';

const rejections = trackUnhandledRejections();
afterEach(() => expect(rejections.splice(0)).toEqual([]));

const batch = (last: bigint) => ({ batch_num: 0, has_more: false, status: 'ready' as const, last_seq_id: last });
const insert = (seq: bigint, prev: bigint): ChangeMessage => ({ type: 'change', subscription_id: 's', change_type: 'insert', rows: [{ id: 1, v: `row${seq}`, big: '1', _seq: seq }], seq, prev_seq: prev });

test('undecodable, oversized and bad gzip frames are reported and skipped in order; a reconnect decodes with the same codecs', async () => {
  const hub = new SocketHub();
  const clock = new ManualClock();
  const link = createLink({ url: 'http://kalam.test:8080/', auth: Auth.jwt('static-token'), WebSocket: hub.WebSocket, timers: clock, reconnect: { random: () => 0 }, maxFrameBytes: 4096 });
  const log: string[] = [];
  link.on('error', (e: KalamError) => log.push(`error:${e.code}`));
  link.subscribe('SELECT * FROM app.t', { id: 's' }, (e: SubscriptionEvent) => {
    if (e.type === 'insert') log.push(`insert:${e.seq}:${String(e.row['v'])}`);
  });
  await flush();
  hub.last.open();
  await flush();
  hub.last.authOk();
  await flush();
  hub.last.deliver({ type: 'subscription_ack', subscription_id: 's', total_rows: 0, schema: SCHEMA, batch_control: batch(10n) });
  hub.last.deliver({ type: 'initial_data_batch', subscription_id: 's', rows: [], batch_control: batch(10n) });
  await flush();

  hub.last.deliver(insert(11n, 10n));
  hub.last.deliverRaw(new Uint8Array([0xc1]).buffer); // 0xc1 is never used in msgpack
  hub.last.deliver(insert(12n, 11n));
  hub.last.deliverRaw(new Uint8Array(5000).buffer);
  hub.last.deliver(insert(13n, 12n));
  // gzip magic, then garbage: inflating fails; the plain frame behind it waits for it
  hub.last.deliverRaw(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4]).buffer);
  hub.last.deliver(insert(14n, 13n));
  const msgpack = createCodec('msgpack');
  hub.last.deliverRaw(new Uint8Array(gzipSync(msgpack.encode(insert(15n, 14n)) as Uint8Array)).buffer);
  // gzip frames inflate asynchronously (DecompressionStream): wait for all eight outcomes, bounded
  for (let i = 0; i < 400 && log.length < 8; i++) await new Promise((r) => setTimeout(r, 5));
  expect(log).toEqual(['insert:11:row11', 'error:PROTOCOL', 'insert:12:row12', 'error:MESSAGE_TOO_LARGE', 'insert:13:row13', 'error:PROTOCOL', 'insert:14:row14', 'insert:15:row15']);

  log.length = 0;
  hub.last.serverClose(1001, 'restart');
  await flush();
  await clock.advance(1);
  await flush();
  hub.last.open();
  await flush();
  hub.last.authOk();
  await flush();
  expect(hub.last.sentOfType('subscribe')[0]?.subscription.options).toEqual({ from: 15n });
  hub.last.deliver({ type: 'subscription_ack', subscription_id: 's', total_rows: 0, schema: SCHEMA, batch_control: batch(15n), resumed: true });
  hub.last.deliverRaw(new Uint8Array([0xc1]).buffer);
  hub.last.deliver(insert(16n, 15n));
  await flush();
  expect(log).toEqual(['error:PROTOCOL', 'insert:16:row16']);
  await link.close();
});
