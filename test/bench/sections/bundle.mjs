/**
 * Item 6: browser bundle size. esbuild (platform browser, minify, esm) of the whole public
 * surface of `@kalam/link` + `@kalam/client` (no tree-shaking credit: `export *`), `ws` external
 * (isomorphic-ws resolves to the browser global through its `browser` field); then `@kalam/react`
 * on top with react external; then each opt-in subpath (`@kalam/link/inspect`, `@kalam/link/protocol`)
 * on top of the core, so that nothing moved out of the main entries goes unmeasured.
 * Size = gzip -9 of the output.
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { row } from '../lib/table.mjs';

const SECTION = '6 bundle';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function bundle(contents, external) {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    stdin: { contents, resolveDir: ROOT, loader: 'js', sourcefile: 'bench-entry.mjs' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external,
    // The root tsconfig maps @kalam/* to src for typechecking; bundle the built dist instead.
    tsconfig: fileURLToPath(new URL('../bundle.tsconfig.json', import.meta.url)),
    define: { 'process.env.NODE_ENV': '"production"' },
  }).catch((err) => {
    const first = err.errors?.[0];
    throw new Error(first ? `esbuild: ${first.text}${first.location ? ` (${first.location.file}:${first.location.line})` : ''}` : String(err));
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.entries(result.metafile.outputs)[0][1].inputs;
  const byPackage = new Map();
  for (const [file, info] of Object.entries(inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const key = m ? m[1] : file.split('/').slice(0, 1)[0];
    byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
  }
  const imports = Object.entries(result.metafile.outputs)[0][1].imports.map((i) => i.path);
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, byPackage: Object.fromEntries([...byPackage].sort((a, b) => b[1] - a[1])), imports };
}

export async function run(ctx) {
  const rows = [];
  const core = await bundle("export * from '@kalam/link'; export * from '@kalam/client';", ['ws']);
  ctx.log(`  link+client: ${core.min} B min, ${core.gzip} B gzip; by package (min bytes): ${JSON.stringify(core.byPackage)}; external imports left: ${JSON.stringify(core.imports)}`);
  rows.push(row({
    section: SECTION, metric: '@kalam/link + @kalam/client, browser, min+gzip -9', value: core.gzip / 1024, unit: 'KB',
    target: '≤ 30 KB', pass: core.gzip <= 30 * 1024,
    note: core.imports.length ? `imports left external: ${core.imports.join(', ')}` : '',
  }));
  rows.push(row({ section: SECTION, metric: '  (minified, before gzip)', value: core.min / 1024, unit: 'KB', note: `minified bytes by package: ${Object.entries(core.byPackage).filter(([, b]) => b > 0).map(([p, b]) => `${p} ${(b / 1024).toFixed(1)} KB`).join(', ')}` }));
  // What each third-party dependency adds after gzip: the bundle without it, subtracted.
  const shares = [];
  for (const dep of ['xstate', '@msgpack/msgpack', 'eventemitter3']) {
    const without = await bundle("export * from '@kalam/link'; export * from '@kalam/client';", ['ws', dep]);
    shares.push(`${dep} ${((core.gzip - without.gzip) / 1024).toFixed(1)} KB`);
  }
  rows.push(row({ section: SECTION, metric: '  gzip share of dependencies (bundle minus bundle without it)', value: NaN, note: `${shares.join(', ')}; the rest is kalam-link + @kalam/client` }));
  try {
    const app = await bundle("import { createClient } from '@kalam/client'; globalThis.k = createClient;", ['ws']);
    rows.push(row({ section: SECTION, metric: '  typical app import (createClient only), min+gzip', value: app.gzip / 1024, unit: 'KB', baseline: { label: 'full surface', value: core.gzip / 1024 } }));
  } catch (err) {
    ctx.log(`  createClient-only bundle failed: ${err.message}`);
  }
  // Opt-in entry points: what importing each one adds to the core (link + client).
  for (const [subpath, note] of [['@kalam/link/inspect', 'createInspector, for dev panels'], ['@kalam/link/protocol', 'validators and codecs of both directions; servers and tools']]) {
    try {
      const withSubpath = await bundle(`export * from '@kalam/link'; export * from '@kalam/client'; export * from '${subpath}';`, ['ws']);
      ctx.log(`  +${subpath}: ${withSubpath.min} B min, ${withSubpath.gzip} B gzip`);
      rows.push(row({ section: SECTION, metric: `  + ${subpath} on top (opt-in), min+gzip`, value: withSubpath.gzip / 1024, unit: 'KB', baseline: { label: 'link+client', value: core.gzip / 1024 }, note: `adds ${((withSubpath.gzip - core.gzip) / 1024).toFixed(2)} KB: ${note}` }));
    } catch (err) {
      rows.push(row({ section: SECTION, metric: `  + ${subpath} on top`, value: NaN, pass: 'skip', note: String(err?.message ?? err).split('\n')[0] }));
    }
  }
  try {
    const react = await bundle("export * from '@kalam/link'; export * from '@kalam/client'; export * from '@kalam/react';", ['ws', 'react', 'react-dom', 'react/jsx-runtime']);
    ctx.log(`  +react: ${react.min} B min, ${react.gzip} B gzip`);
    rows.push(row({ section: SECTION, metric: '  + @kalam/react on top (react external), min+gzip', value: react.gzip / 1024, unit: 'KB', baseline: { label: 'link+client', value: core.gzip / 1024 } }));
    rows.push(row({ section: SECTION, metric: '  @kalam/react share (difference)', value: (react.gzip - core.gzip) / 1024, unit: 'KB' }));
  } catch (err) {
    rows.push(row({ section: SECTION, metric: '  + @kalam/react on top', value: NaN, pass: 'skip', note: String(err?.message ?? err).split('\n')[0] }));
  }
  return rows;
}
