#!/usr/bin/env node
// Prints a live query's snapshot, then every change as it commits. Survives server restarts and
// dropped sockets: the client resumes from its last SeqId, so no line is ever printed twice.
//
//   node examples/node-tail/index.mjs --sql "SELECT * FROM demo.todos" --user alice --password alice-password
import { parseArgs } from 'node:util';
import { createClient, Auth } from '@kalam/client';

const { values } = parseArgs({
  options: {
    sql: { type: 'string', default: 'SELECT * FROM demo.todos' },
    url: { type: 'string', default: process.env.KALAM_URL ?? 'http://127.0.0.1:8080' },
    user: { type: 'string', default: 'alice' },
    password: { type: 'string', default: 'alice-password' },
  },
});

const show = (value) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
const client = createClient({ url: values.url, auth: Auth.basic(values.user, values.password) });
// Diagnostics go to stderr, so stdout holds exactly one line per row event.
client.on('transition', ({ to, reason }) => console.error(`# connection: ${to}${to !== 'ready' && reason ? ` (${reason})` : ''}`));

const abort = new AbortController();
process.on('SIGINT', () => abort.abort());

try {
  const subscription = await client.subscribe(values.sql, {
    signal: abort.signal,
    onEvent(event) {
      switch (event.type) {
        case 'snapshot':
          for (const row of event.rows) console.log(`snapshot ${show(row)}`);
          break;
        case 'insert':
          console.log(`insert   ${show(event.row)}`);
          break;
        case 'update':
          console.log(`update   ${show(event.row)}`);
          break;
        case 'delete':
          console.log(`delete   ${show(event.oldRow)}`);
          break;
        case 'reset':
          console.log('reset    (the server could not resume; a fresh snapshot follows)');
          break;
        default:
          break;
      }
    },
  });
  console.error(`# subscribed ${subscription.id}; Ctrl-C to stop`);
  await new Promise((resolve) => abort.signal.addEventListener('abort', resolve, { once: true }));
} catch (error) {
  if (!abort.signal.aborted) {
    console.error(`# ${error.code ?? 'ERROR'}: ${error.message}`);
    process.exitCode = 1;
  }
} finally {
  await client.close();
}
