/** `system.connections`: one row per authenticated WebSocket, read from memory. */
import type { Row } from '@kalam/link/protocol';
import type { ColumnDef, SystemTableProvider } from '../engine/types.js';

/** What a connection reports about itself. */
export interface ConnectionInfo {
  readonly id: string;
  readonly user: string;
  readonly remoteAddress: string;
  /** ms since the epoch. */
  readonly createdAt: number;
  /** ms since the epoch, or undefined when no ping was seen. */
  readonly lastPingAt: number | undefined;
  readonly subscriptionCount: number;
  readonly serialization: string;
}

const col = (name: string, dataType: ColumnDef['dataType'], primaryKey = false): ColumnDef => ({ name, dataType, notNull: primaryKey, primaryKey });

/** Columns of `system.connections`. */
export const CONNECTION_COLUMNS: readonly ColumnDef[] = [
  col('connection_id', 'Text', true),
  col('user_id', 'Text'),
  col('remote_address', 'Text'),
  col('created_at', 'Timestamp'),
  col('last_ping_at', 'Timestamp'),
  col('subscriptions', 'Int'),
  col('serialization', 'Text'),
];

/** Provider over the live connection list. */
export function connectionsTable(list: () => Iterable<ConnectionInfo>): SystemTableProvider {
  return {
    columns: CONNECTION_COLUMNS,
    scan: () => {
      const rows: Row[] = [];
      for (const c of list()) {
        rows.push({
          connection_id: c.id,
          user_id: c.user,
          remote_address: c.remoteAddress,
          created_at: c.createdAt * 1000,
          last_ping_at: c.lastPingAt === undefined ? null : c.lastPingAt * 1000,
          subscriptions: c.subscriptionCount,
          serialization: c.serialization,
        });
      }
      return rows;
    },
  };
}
