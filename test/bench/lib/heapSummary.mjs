/**
 * Heap snapshot of this process (node:inspector), aggregated as self size and count per
 * node type + constructor name. Diff two of them to see what a workload retains.
 */
import { Session } from 'node:inspector/promises';

export async function heapByConstructor() {
  const session = new Session();
  session.connect();
  const chunks = [];
  session.on('HeapProfiler.addHeapSnapshotChunk', (m) => chunks.push(m.params.chunk));
  await session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  session.disconnect();
  const snap = JSON.parse(chunks.join(''));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + iType]];
    const name = type === 'object' || type === 'closure' ? snap.strings[nodes[i + iName]] : `(${type})`;
    const key = `${type}:${name}`;
    const e = out.get(key) ?? { size: 0, count: 0 };
    e.size += nodes[i + iSize];
    e.count++;
    out.set(key, e);
  }
  return out;
}

/** Top entries of after − before by size. */
export function diffHeaps(before, after, top = 15, per = 1) {
  const rows = [];
  for (const [k, a] of after) {
    const b = before.get(k) ?? { size: 0, count: 0 };
    rows.push({ key: k, bytes: (a.size - b.size) / per, count: (a.count - b.count) / per });
  }
  return rows.sort((x, y) => y.bytes - x.bytes).slice(0, top).map((r) => `${r.bytes.toFixed(0).padStart(6)} B  ${r.count.toFixed(2).padStart(6)}×  ${r.key}`);
}
