/**
 * Compiled live-query plans by (SQL, params, user, role): a resubscribing client (resume after a
 * drop re-sends every subscription at once) re-uses its plans instead of parsing and compiling
 * each again, and subscriptions with the same query share one plan (so fan-out classifies a
 * change once for all of them). Plans are immutable (types.ts); a hit is re-validated against the
 * catalog, so a dropped or re-created table is planned afresh.
 */
import type { ParamValue } from '@kalam/link/protocol';
import { Lru } from '../sql/lru.js';
import type { Catalog } from './catalog.js';
import type { LivePlan } from './live.js';
import type { Principal } from './types.js';

const DEFAULT_CAPACITY = 4096;
/** Longer query texts are planned without caching. */
const MAX_CACHED_SQL_CHARS = 8192;

export class PlanCache {
  readonly #plans: Lru<string, LivePlan>;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#plans = new Lru(capacity);
  }

  /** The cached plan for this query, or the one `make` builds (cached when its key is canonical). */
  plan(catalog: Catalog, sql: string, params: readonly ParamValue[], principal: Principal, make: () => LivePlan): LivePlan {
    const key = sql.length <= MAX_CACHED_SQL_CHARS ? cacheKey(sql, params, principal) : undefined;
    if (key === undefined) return make();
    const known = this.#plans.get(key);
    // same TableMeta object ⇔ the table was not dropped (and maybe re-created) since planning
    if (known !== undefined && catalog.get(known.tableId) === known.table) return known;
    const plan = make();
    this.#plans.set(key, plan);
    return plan;
  }

  get size(): number {
    return this.#plans.size;
  }
}

/** Typed, unambiguous key; undefined when a param is not a scalar (such queries are not cached). */
function cacheKey(sql: string, params: readonly ParamValue[], principal: Principal): string | undefined {
  let key = `${principal.role}\u0000${principal.user}\u0000`;
  for (const p of params) {
    if (p === null) key += 'z,';
    else if (typeof p === 'boolean') key += p ? 't,' : 'f,';
    else if (typeof p === 'number') key += `n${Object.is(p, -0) ? '-0' : String(p)},`;
    else if (typeof p === 'bigint') key += `b${p},`;
    else if (typeof p === 'string') key += `s${JSON.stringify(p)},`;
    else return undefined;
  }
  return `${key}\u0000${sql}`;
}
