/**
 * Item 6: browser bundle size. esbuild (platform browser, minify, esm) of the whole public
 * surface of `@kalam/link` + `@kalam/client` (no tree-shaking credit: `export *`), `ws` external
 * (isomorphic-ws resolves to the browser global through its `browser` field); then `@kalam/react`
 * on top with react external; then each opt-in subpath (`@kalam/link/inspect`, `@kalam/link/protocol`)
 * on top of the core, so that nothing moved out of the main entries goes unmeasured.
 * Size = gzip -9 of the output. The log also lists each module's gzip weight (the bundle's gzip
 * size minus its size with that module's output bytes cut out, found through the source map).
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { row } from '../lib/table.mjs';

const SECTION = '6 bundle';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function bundle(contents, external, sourcemap = false) {
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
    ...(sourcemap ? { sourcemap: 'external', outfile: 'bench-bundle.js' } : {}),
    external,
    // The root tsconfig maps @kalam/* to src for typechecking; bundle the built dist instead.
    tsconfig: fileURLToPath(new URL('../bundle.tsconfig.json', import.meta.url)),
    define: { 'process.env.NODE_ENV': '"production"' },
  }).catch((err) => {
    const first = err.errors?.[0];
    throw new Error(first ? `esbuild: ${first.text}${first.location ? ` (${first.location.file}:${first.location.line})` : ''}` : String(err));
  });
  const out = result.outputFiles.find((f) => !f.path.endsWith('.map'));
  const code = out.contents;
  const output = Object.entries(result.metafile.outputs).find(([file]) => !file.endsWith('.map'))[1];
  const inputs = output.inputs;
  const byPackage = new Map();
  for (const [file, info] of Object.entries(inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const key = m ? m[1] : file.split('/').slice(0, 1)[0];
    byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
  }
  const imports = output.imports.map((i) => i.path);
  // Output order of the inputs (esbuild lists them as emitted): a library module (over 1 KB) after
  // our first module splits our code, which costs gzip (its window is 32 KB); kalam-link orders its
  // imports to avoid it (index.ts).
  const order = Object.keys(inputs).filter((file) => inputs[file].bytesInOutput > 0);
  const firstOurs = order.findIndex((file) => !file.includes('node_modules/'));
  const librariesAfterOurs = firstOurs < 0 ? [] : [...new Set(order.slice(firstOurs).filter((file) => file.includes('node_modules/') && inputs[file].bytesInOutput > 1024).map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)[1]))];
  const map = sourcemap ? JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.map')).text) : undefined;
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, byPackage: Object.fromEntries([...byPackage].sort((a, b) => b[1] - a[1])), imports, text: out.text, map, librariesAfterOurs };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Source-map `mappings` → per line, segments of [column, sourceIndex] (only what the weights need). */
function decodeMappings(mappings) {
  const lines = [];
  let source = 0;
  for (const line of mappings.split(';')) {
    const segments = [];
    let column = 0;
    for (const segment of line.split(',')) {
      if (segment === '') continue;
      const fields = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0];
      if (fields.length > 1) {
        source += fields[1];
        segments.push([column, source]);
      } else segments.push([column, -1]);
    }
    lines.push(segments);
  }
  return lines;
}

/**
 * Gzip weight of each input module: gzip(bundle) − gzip(bundle without the output bytes mapped to
 * it). Unlike minified bytes this counts what gzip actually pays for each module's code.
 */
function gzipWeights(text, map) {
  const owner = new Int32Array(text.length).fill(-1);
  const lines = text.split('\n');
  const mappings = decodeMappings(map.mappings);
  let offset = 0;
  lines.forEach((line, i) => {
    const segments = mappings[i] ?? [];
    segments.forEach(([column, source], k) => {
      const end = k + 1 < segments.length ? segments[k + 1][0] : line.length;
      owner.fill(source, offset + column, offset + end);
    });
    offset += line.length + 1;
  });
  const total = gzipSync(text, { level: 9 }).length;
  const weights = [];
  map.sources.forEach((source, index) => {
    let kept = '';
    let cut = 0;
    let from = 0;
    for (let i = 0; i <= text.length; i++) {
      const mine = i < text.length && owner[i] === index;
      if (mine && from >= 0) {
        kept += text.slice(from, i);
        from = -1;
      } else if (!mine && from < 0) from = i;
      if (mine) cut++;
    }
    if (from >= 0) kept += text.slice(from);
    if (cut === 0) return;
    const name = source.replace(/^.*node_modules\//, '').replace(/^(\.\.\/)+/, '').replace(/^.*?((kalam-link|sdk-typescript|sdk-react)\/)/, '$1');
    weights.push([name, total - gzipSync(kept, { level: 9 }).length]);
  });
  return weights.sort((a, b) => b[1] - a[1]);
}

export async function run(ctx) {
  const rows = [];
  const core = await bundle("export * from '@kalam/link'; export * from '@kalam/client';", ['ws'], true);
  ctx.log(`  link+client: ${core.min} B min, ${core.gzip} B gzip; by package (min bytes): ${JSON.stringify(core.byPackage)}; external imports left: ${JSON.stringify(core.imports)}`);
  ctx.log(`  gzip weight per module, top 20 (B): ${gzipWeights(core.text, core.map).slice(0, 20).map(([name, bytes]) => `${name} ${bytes}`).join(', ')}`);
  rows.push(row({
    section: SECTION, metric: '@kalam/link + @kalam/client, browser, min+gzip -9', value: core.gzip / 1024, unit: 'KB',
    target: '≤ 30 KB', pass: core.gzip <= 30 * 1024,
    note: [
      core.imports.length ? `imports left external: ${core.imports.join(', ')}` : '',
      core.librariesAfterOurs.length ? `libraries emitted between our modules (gzip pays for it): ${core.librariesAfterOurs.join(', ')}` : '',
    ].filter(Boolean).join('; '),
  }));
  rows.push(row({ section: SECTION, metric: '  (minified, before gzip)', value: core.min / 1024, unit: 'KB', note: `minified bytes by package: ${Object.entries(core.byPackage).filter(([, b]) => b > 0).map(([p, b]) => `${p} ${(b / 1024).toFixed(1)} KB`).join(', ')}` }));
  // What each third-party dependency adds after gzip: the bundle without it, subtracted.
  const shares = [];
  let depsGzip = 0;
  for (const dep of ['xstate', '@msgpack/msgpack', 'eventemitter3']) {
    const without = await bundle("export * from '@kalam/link'; export * from '@kalam/client';", ['ws', dep]);
    depsGzip += core.gzip - without.gzip;
    shares.push(`${dep} ${((core.gzip - without.gzip) / 1024).toFixed(1)} KB`);
  }
  rows.push(row({ section: SECTION, metric: '  gzip share of dependencies (bundle minus bundle without it)', value: depsGzip / 1024, unit: 'KB', note: `${shares.join(', ')}; the rest is kalam-link + @kalam/client` }));
  // What the dependencies cost by themselves: exactly the imports we use, nothing of ours.
  const floor = await bundle(
    "export { createMachine, createActor, assign, fromCallback, fromPromise } from 'xstate'; export { Encoder, Decoder } from '@msgpack/msgpack'; export { EventEmitter } from 'eventemitter3';",
    [],
  );
  const machineOnly = await bundle("export { createMachine, createActor } from 'xstate';", []);
  rows.push(row({ section: SECTION, metric: '  the same imports of xstate, @msgpack/msgpack, eventemitter3 alone', value: floor.gzip / 1024, unit: 'KB', note: `xstate's createMachine + createActor alone: ${(machineOnly.gzip / 1024).toFixed(1)} KB, the floor of any xstate v5 machine` }));
  rows.push(row({ section: SECTION, metric: '  our own code (link+client minus the dependency shares)', value: (core.gzip - depsGzip) / 1024, unit: 'KB', note: `under the 30 KB target it would have to be ${((30 * 1024 - depsGzip) / 1024).toFixed(1)} KB` }));
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
