/**
 * In-process CPU profiling of just the measured phase (node:inspector), written as a
 * .cpuprofile (open in Chrome DevTools) under test/bench/results/profiles/, plus a text summary.
 */
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { summarize } from '../profile-summary.mjs';

export async function startProfiler() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(name) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const dir = fileURLToPath(new URL('../results/profiles/', import.meta.url));
      mkdirSync(dir, { recursive: true });
      const file = `${dir}${name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`;
      writeFileSync(file, JSON.stringify(profile));
      return { file, ...summarize(profile, 20) };
    },
  };
}
