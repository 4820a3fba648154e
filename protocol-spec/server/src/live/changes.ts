/**
 * What one committed change means to one live query: WHERE is evaluated on the old and the new
 * row (PROTOCOL.md §change): both match → update; only old → delete (row left); only new →
 * insert (row entered); neither → nothing.
 */
import type { ChangeType, Row } from '@kalam/link/protocol';
import type { CommittedChange, LiveQueryPlan } from '../engine/types.js';
import type { SharedChange } from './encode.js';

/** A change as one query sees it. */
export interface Outcome {
  readonly changeType: ChangeType;
  /** Full stored new row (insert, update). */
  readonly newRow: Row | null;
  /** Full stored old row (update, delete). */
  readonly oldRow: Row | null;
}

/** Classify `change` for `plan`; null when the query does not see it. */
export function classify(plan: LiveQueryPlan, change: CommittedChange): Outcome | null {
  const oldHit = change.oldRow !== null && plan.matches(change.oldRow);
  const newHit = change.newRow !== null && plan.matches(change.newRow);
  if (oldHit && newHit) return { changeType: 'update', newRow: change.newRow, oldRow: change.oldRow };
  if (oldHit) return { changeType: 'delete', newRow: null, oldRow: change.oldRow };
  if (newHit) return { changeType: 'insert', newRow: change.newRow, oldRow: null };
  return null;
}

/**
 * The shared fields of the `change` message for `outcome` under `plan`'s projection.
 * `compat` (KalamDB): no `seq`, and update rows omit NULL columns.
 */
export function sharedChange(plan: LiveQueryPlan, outcome: Outcome, seq: bigint, compat: boolean): SharedChange {
  const base: { type: 'change'; change_type: ChangeType; rows?: Row[]; old_values?: Row[]; seq?: bigint } = {
    type: 'change',
    change_type: outcome.changeType,
  };
  if (outcome.newRow !== null) {
    const row = plan.project(outcome.newRow);
    base.rows = [compat && outcome.changeType === 'update' ? withoutNulls(row) : row];
  }
  if (outcome.oldRow !== null) base.old_values = [plan.project(outcome.oldRow)];
  if (!compat) base.seq = seq;
  return base;
}

function withoutNulls(row: Row): Row {
  const out: Record<string, Row[string]> = {};
  for (const [k, v] of Object.entries(row)) if (v !== null) out[k] = v;
  return out;
}
