/**
 * The connection machine's transitions as rows (state, event, guard, next, actions), read from the
 * xstate definition, and the same rows parsed from protocol-spec/LIFECYCLE.md — so tests can
 * prove the two are identical.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionMachine } from '../../src/connection/connectionMachine.js';

export interface TableRow {
  readonly state: string;
  readonly event: string;
  readonly guard: string;
  readonly next: string;
  readonly actions: string;
}

interface TransitionLike {
  readonly eventType: string;
  readonly guard?: unknown;
  readonly target?: readonly { readonly path: readonly string[] }[];
  readonly actions: readonly unknown[];
  readonly reenter?: boolean;
}

interface NodeLike {
  readonly path: readonly string[];
  readonly states: Record<string, NodeLike>;
  readonly transitions: Map<string, TransitionLike[]>;
  readonly always?: TransitionLike[];
  readonly entry: readonly unknown[];
}

function eventName(eventType: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  const done = /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (done) return `done ${done[1]}`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (error) return `error ${error[1]}`;
  return eventType === '' ? 'always' : eventType;
}

function name(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'type' in value) return String((value as { type: unknown }).type);
  if (typeof value === 'function' && 'type' in value) return String((value as { type: unknown }).type);
  return '?';
}

function rowOf(state: string, t: TransitionLike, event: string): TableRow {
  const target = t.target?.map((n) => n.path.join('.')).join(', ');
  const next = target === undefined || target === '' ? '—' : t.reenter === true ? `${target} (re-enter)` : target;
  const actions = t.actions.map(name).join(', ');
  return { state, event, guard: t.guard === undefined ? '—' : name(t.guard), next, actions: actions === '' ? '—' : actions };
}

/** Every transition of the machine, in document order. */
export function machineRows(): TableRow[] {
  const rows: TableRow[] = [];
  const visit = (node: NodeLike): void => {
    const state = node.path.length === 0 ? '(root)' : node.path.join('.');
    for (const [, list] of node.transitions) for (const t of list) rows.push(rowOf(state, t, eventName(t.eventType)));
    for (const t of node.always ?? []) rows.push(rowOf(state, t, 'always'));
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(connectionMachine.root as unknown as NodeLike);
  return rows;
}

/** Entry actions per state (documented in LIFECYCLE.md's state list). */
export function machineEntries(): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (node: NodeLike): void => {
    const entry = node.entry.map(name).filter((n) => n !== 'xstate.raise');
    if (entry.length > 0) out[node.path.join('.')] = entry.join(', ');
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(connectionMachine.root as unknown as NodeLike);
  return out;
}

export const LIFECYCLE_PATH = join(__dirname, '../../../protocol-spec/LIFECYCLE.md');

/** Rows of the markdown table that follows the `<!-- transition-table -->` marker. */
export function specRows(markdown: string = readFileSync(LIFECYCLE_PATH, 'utf8')): TableRow[] {
  const start = markdown.indexOf('<!-- transition-table -->');
  if (start < 0) throw new Error('LIFECYCLE.md has no <!-- transition-table --> marker');
  const lines = markdown.slice(start).split('\n').slice(1);
  const rows: TableRow[] = [];
  let seenHeader = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('|')) {
      if (seenHeader) break;
      continue;
    }
    const cells = trimmed.slice(1, -1).split('|').map((c) => c.trim().replace(/`/g, ''));
    if (!seenHeader) {
      seenHeader = true;
      continue;
    }
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    const [state, event, guard, next, actions] = cells;
    rows.push({ state: state ?? '', event: event ?? '', guard: guard ?? '', next: next ?? '', actions: actions ?? '' });
  }
  return rows;
}

/** A row of LIFECYCLE.md's first-retry table: the close codes it names and `quick` or `backoff`. */
export interface FirstRetryRow {
  readonly codes: readonly number[];
  readonly first: 'quick' | 'backoff';
}

/** Rows of the table after `<!-- first-retry-table -->`; a range `a–b` names both ends. */
export function firstRetryRows(markdown: string = readFileSync(LIFECYCLE_PATH, 'utf8')): FirstRetryRow[] {
  const start = markdown.indexOf('<!-- first-retry-table -->');
  if (start < 0) throw new Error('LIFECYCLE.md has no <!-- first-retry-table --> marker');
  const rows: FirstRetryRow[] = [];
  for (const line of markdown.slice(start).split('\n').slice(1)) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    const [close = '', first = ''] = trimmed.slice(1, -1).split('|').map((c) => c.trim());
    if (first !== 'quick' && first !== 'backoff') continue; // header, separator
    rows.push({ codes: (close.match(/\b[0-9]{4}\b/g) ?? []).map(Number), first });
  }
  return rows;
}
