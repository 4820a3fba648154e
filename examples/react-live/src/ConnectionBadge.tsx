import type { ConnectionState } from '@kalam/client';
import { useConnectionState } from '@kalam/react';

const LABELS: Record<ConnectionState, readonly [label: string, tone: string]> = {
  idle: ['connecting', 'connecting'],
  connecting: ['connecting', 'connecting'],
  authenticating: ['connecting', 'connecting'],
  ready: ['live', 'live'],
  reconnecting: ['reconnecting', 'reconnecting'],
  closed: ['signed out', 'signed-out'],
  killed: ['killed', 'killed'],
  auth_revoked: ['signed out', 'signed-out'],
  auth_failed: ['signed out', 'signed-out'],
};

/** connecting / live / reconnecting / killed / signed out, from the link's lifecycle state. */
export function ConnectionBadge() {
  const { state, lastClose, error } = useConnectionState();
  const [label, tone] = LABELS[state];
  const why = error?.message ?? (lastClose ? `last close ${lastClose.code}${lastClose.reason ? `: ${lastClose.reason}` : ''}` : state);
  return <span className={`badge ${tone}`} data-testid="connection-state" data-state={state} title={why}>{label}</span>;
}

/** The badge before a client exists. */
export function SignedOutBadge({ connecting }: { connecting: boolean }) {
  return connecting
    ? <span className="badge connecting" data-testid="connection-state" data-state="connecting">connecting</span>
    : <span className="badge signed-out" data-testid="connection-state" data-state="signed_out">signed out</span>;
}
