/** Fork a bench child process and talk to it with {cmd} → {ev} messages. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export async function forkChild(relativePath, execArgv = []) {
  const child = fork(fileURLToPath(new URL(`../${relativePath}`, import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const waiting = new Map();
  const listeners = new Set();
  let exited = null;
  child.on('message', (msg) => {
    for (const l of listeners) l(msg);
    const w = waiting.get(msg.ev);
    if (w) { waiting.delete(msg.ev); w.resolve(msg); }
  });
  child.on('exit', (code) => {
    exited = code;
    for (const w of waiting.values()) w.reject(new Error(`${relativePath} exited (${code})`));
    waiting.clear();
  });
  const api = {
    process: child,
    on(listener) { listeners.add(listener); return () => listeners.delete(listener); },
    wait(ev, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        if (exited !== null) return reject(new Error(`${relativePath} exited (${exited})`));
        const timer = setTimeout(() => { waiting.delete(ev); reject(new Error(`timed out waiting for ${ev} from ${relativePath}`)); }, timeoutMs);
        waiting.set(ev, { resolve: (m) => { clearTimeout(timer); resolve(m); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      });
    },
    async request(msg, ev, timeoutMs) {
      const p = api.wait(ev, timeoutMs);
      child.send(msg);
      return p;
    },
    async exit() {
      if (exited !== null) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.send({ cmd: 'exit' });
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
  };
  await api.wait('started');
  return api;
}
