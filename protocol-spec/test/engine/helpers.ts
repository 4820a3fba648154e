/** Engine test helpers: a real engine over RocksDB in a temp dir, removed afterwards. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from '../../server/src/engine/index.js';
import type { Engine, EngineOptions, Principal } from '../../server/src/engine/index.js';

export const admin: Principal = { user: 'admin', role: 'dba' };
export const alice: Principal = { user: 'alice', role: 'user' };
export const bob: Principal = { user: 'bob', role: 'user' };

/** A temp dir plus engines opened on it; `cleanup()` closes them all and removes the dir. */
export async function tempEngine(options: Omit<EngineOptions, 'dataDir'> = {}): Promise<{
  dir: string;
  engine: Engine;
  reopen(more?: Omit<EngineOptions, 'dataDir'>): Promise<Engine>;
  cleanup(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'kalam-engine-'));
  const engines: Engine[] = [];
  const engine = await openEngine({ ...options, dataDir: dir });
  engines.push(engine);
  return {
    dir,
    engine,
    async reopen(more = options) {
      for (const e of engines) await e.close();
      const e = await openEngine({ ...more, dataDir: dir });
      engines.push(e);
      return e;
    },
    async cleanup() {
      for (const e of engines) await e.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Run SQL as `who` and return the only result. */
export async function sql1(engine: Engine, who: Principal, text: string, params: readonly unknown[] = []) {
  const results = await engine.execute(text, params as never, who);
  if (results.length !== 1) throw new Error(`expected 1 result, got ${results.length}`);
  return results[0]!;
}

/** Expect a promise (or thunk) to fail with KalamError `code`. */
export async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeDefined();
  expect((err as { code?: string }).code).toBe(code);
}
