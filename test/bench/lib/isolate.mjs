/** Run one scenario (see scenario.mjs) in a fresh Node process and return its result. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCENARIO = fileURLToPath(new URL('../scenario.mjs', import.meta.url));

export function runIsolated(spec, { execArgv = [], timeoutMs = 180_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(SCENARIO, [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    let settled = false;
    const timer = setTimeout(() => { child.kill('SIGKILL'); finish(new Error(`scenario timed out: ${spec.label ?? spec.kind}`)); }, timeoutMs);
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err); else resolve(value);
    };
    child.on('message', (msg) => {
      if (msg.ok) finish(null, msg.result); else finish(new Error(msg.error));
    });
    child.on('exit', (code) => finish(new Error(`scenario exited with ${code} before reporting: ${spec.label ?? spec.kind}`)));
  });
}
