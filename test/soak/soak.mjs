#!/usr/bin/env node
// npm run soak [-- --seed N --duration-ms MS]: a seeded, bounded (≤ 2 min) randomized chaos run.
// Bundles test/soak/soakRun.ts with esbuild (a devDependency; workspace packages come from their
// built dist, so run `npm run build` first) and runs it. Exit 1 on any duplicate, gap or mismatch.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const seeds = args.includes('--seeds') ? args[args.indexOf('--seeds') + 1].split(',').map(Number) : [arg('seed', Number(process.env.SOAK_SEED ?? 1))];
const durationMs = Math.min(arg('duration-ms', Number(process.env.SOAK_DURATION_MS ?? 60_000)), 120_000);

const outDir = path.join(root, 'node_modules', '.cache', 'kalam-soak');
mkdirSync(outDir, { recursive: true });
const outfile = path.join(outDir, 'soak.bundle.mjs');
await build({
  entryPoints: [path.join(root, 'test/soak/soakRun.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile,
  logLevel: 'warning',
  banner: { js: "import { fileURLToPath as __kf } from 'node:url'; import { dirname as __kd } from 'node:path'; const __dirname = __kd(__kf(import.meta.url));" },
});
const { runSoak } = await import(pathToFileURL(outfile).href);
let failed = 0;
for (const seed of seeds) {
  const code = await runSoak(seed, Math.floor(durationMs / seeds.length), (line) => console.log(line));
  if (code !== 0) failed++;
}
console.log(failed === 0 ? 'soak: PASS' : `soak: FAIL (${failed} of ${seeds.length} seeds)`);
process.exit(failed === 0 ? 0 : 1);
