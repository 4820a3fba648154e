/**
 * An in-process stand-in for the server side of one socket, injected into kalam-link as its
 * `WebSocket` constructor, so the client's own cost per frame can be measured without a network
 * or a server process. It speaks just enough v1: auth_success (JSON text), subscription_ack +
 * one final initial_data_batch per subscribe (msgpack), pong. Benches push frames with
 * `socket.deliver(bytes)`, which runs the link's `onmessage` synchronously.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';

export const SCHEMA = [
  { name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] },
  { name: 'title', data_type: 'Text', index: 1, flags: ['nn'] },
  { name: 'body', data_type: 'Text', index: 2, flags: ['nn'] },
  { name: 'ts', data_type: 'Double', index: 3, flags: ['nn'] },
];

/** A token that parses as a JWT (no `exp`): the fake server accepts anything. */
export const FAKE_TOKEN = [
  Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
  Buffer.from(JSON.stringify({ sub: 'bench', role: 'user' })).toString('base64url'),
  'sig',
].join('.');

/**
 * @param {object} o
 * @param {bigint} o.snapshotSeq the snapshot point S of every subscription
 * @param {(id: string) => object[]} o.snapshotRows rows of a subscription's snapshot
 */
export function createFakeServer({ snapshotSeq, snapshotRows }) {
  const encoder = new Encoder({ useBigInt64: true });
  const decoder = new Decoder({ useBigInt64: true });
  const sockets = [];
  const subscribed = new Set();

  class FakeServerSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.binaryType = 'blob';
      this.onopen = null;
      this.onclose = null;
      this.onerror = null;
      this.onmessage = null;
      sockets.push(this);
      setTimeout(() => {
        if (this.readyState !== 0) return;
        this.readyState = 1;
        this.onopen?.({});
      }, 0);
    }

    send(data) {
      const message = typeof data === 'string' ? JSON.parse(data) : decoder.decode(data);
      // Answer on a later macrotask, as a network would.
      setImmediate(() => this.handle(message));
    }

    handle(m) {
      if (this.readyState !== 1) return;
      if (m.type === 'authenticate') {
        this.onmessage?.({ data: JSON.stringify({ type: 'auth_success', user: 'bench', role: 'user', protocol: { serialization: 'msgpack', compression: 'none' }, connection_id: '0'.repeat(32) }) });
      } else if (m.type === 'subscribe') {
        const id = m.subscription.id;
        const from = m.subscription.options?.from;
        if (from !== undefined) {
          this.deliver(encoder.encode({ type: 'subscription_ack', subscription_id: id, total_rows: 0, resumed: true, schema: SCHEMA, batch_control: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: from } }));
        } else {
          const rows = snapshotRows(id);
          const control = { batch_num: 0, has_more: false, status: 'ready', last_seq_id: snapshotSeq };
          this.deliver(encoder.encode({ type: 'subscription_ack', subscription_id: id, total_rows: rows.length, schema: SCHEMA, batch_control: control }));
          this.deliver(encoder.encode({ type: 'initial_data_batch', subscription_id: id, rows, batch_control: control }));
        }
        subscribed.add(id);
      } else if (m.type === 'ping') {
        this.deliver(encoder.encode({ type: 'pong' }));
      } else if (m.type === 'unsubscribe') {
        subscribed.delete(m.subscription_id);
      }
    }

    /** Server → client frame, handled synchronously by the link. */
    deliver(bytes) {
      this.onmessage?.({ data: bytes });
    }

    close(code = 1000, reason = '') {
      if (this.readyState >= 2) return;
      this.readyState = 3;
      setTimeout(() => this.onclose?.({ code, reason }), 0);
    }
  }

  return { WebSocket: FakeServerSocket, sockets, subscribed, encoder };
}
