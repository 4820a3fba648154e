import { useEffect, useState, useSyncExternalStore } from 'react';
import type { KalamClient } from '@kalam/client';
import { createInspector, type Inspector as InspectorStore } from './inspectorStore.js';

/** A collapsible panel: lifecycle state and transitions, subscriptions, reconnects, last frames. */
export function Inspector({ client }: { client: KalamClient }) {
  const [store, setStore] = useState<InspectorStore | null>(null);
  useEffect(() => {
    const created = createInspector(client);
    setStore(created);
    return () => created.dispose();
  }, [client]);
  if (!store) return null;
  return <InspectorPanel store={store} />;
}

function InspectorPanel({ store }: { store: InspectorStore }) {
  const view = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return (
    <details className="card inspector" data-testid="inspector">
      <summary>Inspector — {view.state} · {view.reconnects} reconnects{view.lastClose ? ` · last close ${view.lastClose.code}` : ''}</summary>
      <h3>Transitions</h3>
      <table><tbody>
        {view.transitions.map((t, i) => (
          <tr key={i}><td>{new Date(t.at).toLocaleTimeString()}</td><td>{t.from} → {t.to}</td><td>{t.reason}</td></tr>
        ))}
      </tbody></table>
      <h3>Subscriptions</h3>
      <table>
        <thead><tr><th>id</th><th>status</th><th>lastSeqId</th><th>events</th><th>sql</th></tr></thead>
        <tbody>
          {view.subscriptions.map((s) => (
            <tr key={s.id}><td>{s.id}</td><td>{s.status}</td><td>{s.lastSeqId?.toString() ?? '—'}</td><td>{s.eventsDelivered}</td><td>{s.sql}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Last {view.frames.length} frames</h3>
      <table>
        <thead><tr><th>dir</th><th>type</th><th>subscription</th><th>bytes</th></tr></thead>
        <tbody>
          {view.frames.map((f, i) => (
            <tr key={i}><td>{f.direction === 'in' ? '⇣' : '⇡'}</td><td>{f.type}</td><td>{f.subscriptionId ?? ''}</td><td>{f.bytes}</td></tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
