/**
 * The writer process of a kalam fan-out run: posts the HTTP SQL INSERTs the orchestrator asks
 * for, so the HTTP client's CPU is not charged to the server under test (in production the writer
 * is another process). Each row carries this process's `process.hrtime` timestamp, taken just
 * before the request; CLOCK_MONOTONIC is machine-wide, so the clients' child can subtract it.
 *
 * IPC in: `{cmd: 'config', url, token, groups}`, `{cmd: 'insert', first, n}`, `{cmd: 'exit'}`.
 * IPC out: `{ev: 'started'}`, `{ev: 'inserted', ms}` (request → response round trip),
 * `{ev: 'error', message}`.
 */
import { insertSql } from './lib/kalamServer.mjs';
import { postJson, closeAgent } from './lib/kalamHttp.mjs';
import { nowMs } from './lib/clock.mjs';

let config;

function insert(first, n) {
  const ts = nowMs();
  postJson(config.url, '/v1/api/sql', { sql: insertSql(first, n, ts, config.groups) }, config.auth).then((res) => {
    if (res.status !== 200) process.send({ ev: 'error', message: `bench insert failed: ${res.status} ${JSON.stringify(res.body)}` });
    else process.send({ ev: 'inserted', ms: nowMs() - ts });
  }, (err) => process.send({ ev: 'error', message: String(err?.stack ?? err) }));
}

process.on('message', (msg) => {
  if (msg.cmd === 'insert') insert(msg.first, msg.n);
  else if (msg.cmd === 'config') config = { url: msg.url, groups: msg.groups, auth: { authorization: `Bearer ${msg.token}` } };
  else if (msg.cmd === 'exit') {
    closeAgent();
    process.exit(0);
  }
});
process.send({ ev: 'started' });
