import { useSyncExternalStore } from 'react';
import type { Inspector as InspectorStore } from '@kalam/client';

const time = (at: number) => new Date(at).toLocaleTimeString(undefined, { hour12: false }) + `.${String(at % 1000).padStart(3, '0')}`;

/**
 * A collapsible panel over `createInspector(client.link)`: the lifecycle state and its last
 * transitions with reasons, each subscription's status / lastSeqId / events, reconnects, the
 * last close code and the last 50 frames. Only public link events feed it.
 */
export function Inspector({ store }: { store: InspectorStore }) {
  const view = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return (
    <details className="card inspector" data-testid="inspector">
      <summary>
        Inspector — <span data-testid="inspector-state">{view.state}</span> · {view.reconnects} reconnects
        {view.lastClose ? ` · last close ${view.lastClose.code}${view.lastClose.reason ? ` (${view.lastClose.reason})` : ''}` : ''}
      </summary>
      <h3>Last {view.transitions.length} transitions</h3>
      <table data-testid="inspector-transitions">
        <thead><tr><th>time</th><th>transition</th><th>reason</th></tr></thead>
        <tbody>
          {view.transitions.map((t, i) => (
            <tr key={i}><td>{time(t.at)}</td><td>{t.from} → {t.to}</td><td>{t.reason}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Subscriptions</h3>
      <table data-testid="inspector-subscriptions">
        <thead><tr><th>id</th><th>status</th><th>lastSeqId</th><th>events</th><th>sql</th></tr></thead>
        <tbody>
          {view.subscriptions.map((s) => (
            <tr key={s.id}><td>{s.id}</td><td>{s.status}</td><td>{s.lastSeqId?.toString() ?? '—'}</td><td>{s.eventsDelivered}</td><td>{s.sql}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Last {view.frames.length} of {view.framesSeen} frames (newest first)</h3>
      <table>
        <thead><tr><th>time</th><th>dir</th><th>type</th><th>subscription</th><th>bytes</th></tr></thead>
        <tbody>
          {view.frames.map((f, i) => (
            <tr key={view.framesSeen - view.frames.length + i}><td>{time(f.at)}</td><td>{f.direction === 'in' ? '⇣ in' : '⇡ out'}</td><td>{f.type}</td><td>{f.subscriptionId ?? ''}</td><td>{f.bytes}</td></tr>
          )).reverse()}
        </tbody>
      </table>
    </details>
  );
}
