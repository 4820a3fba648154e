/**
 * Encode-time checks of every message, both directions (the server's encoders use them; a
 * client only encodes client → server messages, see `checkClientMessage`).
 */
import type { Message } from './messages.js';
import { checkClientMessage, rowCells, seq } from './wire.js';

/**
 * Throws `PROTOCOL` for what the wire formats cannot express: an envelope SeqId that is not a
 * `bigint` in 0..2^63−1, and (with `checkCells`, for msgpack, where 2^64 would silently wrap to 0)
 * a bigint cell outside int64/uint64.
 */
export function assertEncodable(message: Message, checkCells: boolean): void {
  switch (message.type) {
    case 'subscription_ack':
      if (message.batch_control.last_seq_id !== null) seq(message.batch_control.last_seq_id, 'subscription_ack.batch_control.last_seq_id');
      return;
    case 'initial_data_batch':
      if (message.batch_control.last_seq_id !== null) seq(message.batch_control.last_seq_id, 'initial_data_batch.batch_control.last_seq_id');
      if (checkCells) rowCells(message.rows, 'initial_data_batch.rows');
      return;
    case 'change':
      if (message.seq !== undefined) seq(message.seq, 'change.seq');
      if (message.prev_seq !== undefined) seq(message.prev_seq, 'change.prev_seq');
      if (checkCells) {
        if (message.rows) rowCells(message.rows, 'change.rows');
        if (message.old_values) rowCells(message.old_values, 'change.old_values');
      }
      return;
    default:
      checkClientMessage(message, checkCells);
  }
}
