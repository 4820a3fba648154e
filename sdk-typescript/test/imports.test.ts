/**
 * The SDK packages only forward to kalam-link: no lifecycle logic (xstate, ws, timers of their
 * own protocol) can sneak in through an import. Scans every source file's import specifiers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier in `import`/`export … from`, dynamic `import()` and `require()`. */
export function importSpecifiers(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.push(match[1] as string);
  return specifiers;
}

/** Drops comments, whose TSDoc examples show imports the module itself does not make. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function offending(pkgDir: string, allowed: readonly string[]): string[] {
  const files = sourceFiles(join(root, pkgDir, 'src'));
  expect(files.length).toBeGreaterThan(0);
  const bad: string[] = [];
  for (const file of files) {
    for (const spec of importSpecifiers(stripComments(readFileSync(file, 'utf8')))) {
      if (spec.startsWith('./') || spec.startsWith('../')) continue;
      if (!allowed.includes(spec)) bad.push(`${relative(root, file)}: ${spec}`);
    }
  }
  return bad;
}

describe('import check: the SDKs only forward to kalam-link', () => {
  test('the scanner sees every import form (and so can fail)', () => {
    const src = [
      "import { a } from 'xstate';",
      "import type { B } from '@kalam/link';",
      "export * from './x.js';",
      "export { c } from 'ws';",
      "import 'side-effect';",
      "const m = await import('isomorphic-ws');",
      "const r = require('node:net');",
      "import {\n  d,\n  e,\n} from 'multi-line';",
    ].join('\n');
    expect(importSpecifiers(src).sort()).toEqual(
      ['xstate', '@kalam/link', './x.js', 'ws', 'side-effect', 'isomorphic-ws', 'node:net', 'multi-line'].sort(),
    );
  });

  test("sdk-typescript imports only '@kalam/link' and relative modules", () => {
    expect(offending('sdk-typescript', ['@kalam/link'])).toEqual([]);
  });

  test('their package.json files depend on nothing else', () => {
    const deps = (dir: string): string[] => {
      const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
      return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})].sort();
    };
    expect(deps('sdk-typescript')).toEqual(['@kalam/link']);
    expect(deps('sdk-react')).toEqual(['@kalam/client', 'react']);
  });

  test("sdk-react imports only 'react', '@kalam/client' and relative modules", () => {
    expect(offending('sdk-react', ['react', '@kalam/client'])).toEqual([]);
  });
});
