// Micro-benchmark of the LiveRows materialiser (run after `tsc -b`: node kalam-link/bench/liveRows.bench.mjs [dist dir]).
// Reports ops/s for: snapshot load, single update + getSnapshot (the React path), updates without reads, insert/delete churn.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const dist = resolve(process.argv[2] ?? new URL('../dist', import.meta.url).pathname);
const { LiveRows } = await import(pathToFileURL(`${dist}/subscriptions/liveRows.js`).href);

const schema = [
  { name: 'id', data_type: 'BigInt', index: 0, flags: ['pk', 'nn'] },
  { name: 'title', data_type: 'Text', index: 1 },
  { name: 'n', data_type: 'Int', index: 2 },
];
const row = (i, seq, title = `t${i}`) => ({ id: BigInt(i), title, n: i % 97, _seq: BigInt(seq) });

function loaded(size, options = {}) {
  const live = new LiveRows(options);
  live.apply({ type: 'ack', schema, resumed: undefined });
  const rows = Array.from({ length: size }, (_, i) => row(i, i + 1));
  live.apply({ type: 'snapshot', rows, final: true, batch: { batch_num: 0, has_more: false, status: 'ready', last_seq_id: BigInt(size) } });
  live.getSnapshot();
  return live;
}

function measure(name, iterations, fn) {
  fn(Math.min(iterations, 1000)); // warm-up
  const start = process.hrtime.bigint();
  fn(iterations);
  const ns = Number(process.hrtime.bigint() - start);
  console.log(`${name.padEnd(58)} ${((iterations * 1e9) / ns).toFixed(0).padStart(10)} ops/s  ${(ns / iterations / 1000).toFixed(2).padStart(8)} µs/op`);
}

export function runLiveRowsBench(sizes = [100, 1_000, 10_000]) {
  for (const size of sizes) {
    measure(`load snapshot of ${size} rows (1 batch)`, Math.max(10, 200_000 / size), (k) => {
      for (let j = 0; j < k; j++) loaded(size);
    });
    for (const [label, options] of [['', {}], [' (sorted by title)', { sort: (a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : 0) }]]) {
      const live = loaded(size, options);
      let seq = size + 1;
      measure(`${size} rows: update + getSnapshot${label}`, Math.max(200, 2_000_000 / size), (k) => {
        for (let j = 0; j < k; j++) {
          const i = j % size;
          seq++;
          live.apply({ type: 'update', row: row(i, seq, `u${seq}`), oldRow: row(i, seq - 1), seq: BigInt(seq) });
          live.getSnapshot();
        }
      });
    }
    const live = loaded(size);
    let seq = size + 1;
    measure(`${size} rows: update without reading`, 200_000, (k) => {
      for (let j = 0; j < k; j++) {
        const i = j % size;
        seq++;
        live.apply({ type: 'update', row: row(i, seq, `u${seq}`), oldRow: row(i, seq - 1), seq: BigInt(seq) });
      }
    });
    let next = size;
    measure(`${size} rows: insert + delete + getSnapshot`, Math.max(200, 1_000_000 / size), (k) => {
      for (let j = 0; j < k; j++) {
        seq++;
        live.apply({ type: 'insert', row: row(next, seq), seq: BigInt(seq) });
        seq++;
        live.apply({ type: 'delete', oldRow: { id: BigInt(next - size) }, seq: BigInt(seq) });
        next++;
        live.getSnapshot();
      }
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) runLiveRowsBench();
