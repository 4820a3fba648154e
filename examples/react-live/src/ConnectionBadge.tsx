import { useConnectionState } from '@kalam/react';

const LABELS: Record<string, [label: string, tone: string]> = {
  idle: ['idle', 'idle'],
  connecting: ['connecting', 'connecting'],
  authenticating: ['connecting', 'connecting'],
  ready: ['live', 'live'],
  reconnecting: ['reconnecting', 'reconnecting'],
  closed: ['signed out', 'signed-out'],
  killed: ['killed', 'killed'],
  auth_revoked: ['signed out', 'signed-out'],
  auth_failed: ['signed out', 'signed-out'],
};

/** connecting / live / reconnecting / killed / signed out. */
export function ConnectionBadge() {
  const { state } = useConnectionState();
  const [label, tone] = LABELS[state] ?? [state, 'idle'];
  return <span className={`badge ${tone}`} data-testid="connection-state" data-state={state}>{label}</span>;
}
