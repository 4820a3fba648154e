/**
 * One watched subscription: its LiveRows, every event the application received, and the strict
 * end-of-scenario check — rows equal the server's own SELECT, and the change events since the
 * last snapshot are exactly the writer's changes that concern this query (no duplicate, no gap).
 */
import { LiveRows, type KalamLink, type SubscriptionEvent, type SubscriptionHandle } from '@kalam/link';
import { select } from './http.js';
import type { ItemRow, Writer } from './writer.js';

/** What to subscribe to and how to tell which rows it selects. */
export interface WatchSpec {
  readonly sql: string;
  readonly params?: readonly (number | string)[];
  /** The WHERE clause as a predicate over the writer's rows (`() => true` for none). */
  readonly where: (row: ItemRow) => boolean;
  readonly id?: string;
  readonly batchSize?: number;
}

/** A delivered change, reduced to what the check compares. */
interface SeenChange {
  readonly type: 'insert' | 'update' | 'delete';
  readonly seq: bigint;
  readonly id: unknown;
}

/** Normalise a cell for comparison: 64-bit values as decimal strings. */
function norm(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** The outcome of a strict check (empty `problems` = pass). */
export interface CheckResult {
  readonly problems: string[];
  readonly events: number;
  readonly changes: number;
  readonly resets: number;
}

/** A subscription under observation. */
export class Watch {
  readonly live = new LiveRows();
  readonly handle: SubscriptionHandle;
  /** Every change seq delivered to the application, in order, across resets. */
  readonly changeSeqs: bigint[] = [];
  /** Changes since the last final snapshot batch. */
  private sinceSnapshot: SeenChange[] = [];
  /** `last_seq_id` of the last final snapshot batch (undefined until one arrived). */
  snapshotPoint: bigint | undefined;
  events = 0;
  resets = 0;
  readonly errors: string[] = [];
  readonly statuses: string[] = [];

  constructor(
    link: KalamLink,
    readonly spec: WatchSpec,
    private readonly writer: Writer,
  ) {
    const options = {
      ...(spec.id === undefined ? {} : { id: spec.id }),
      ...(spec.params === undefined ? {} : { params: spec.params }),
      ...(spec.batchSize === undefined ? {} : { batchSize: spec.batchSize }),
    };
    this.handle = link.subscribe(spec.sql, options, (event) => this.onEvent(event));
  }

  private onEvent(event: SubscriptionEvent): void {
    this.events++;
    this.live.apply(event);
    switch (event.type) {
      case 'snapshot':
        if (event.final) {
          this.snapshotPoint = event.batch.last_seq_id ?? undefined;
          this.sinceSnapshot = [];
        }
        return;
      case 'reset':
        this.resets++;
        return;
      case 'insert':
      case 'update':
        this.changeSeqs.push(event.seq);
        this.sinceSnapshot.push({ type: event.type, seq: event.seq, id: event.row.id });
        return;
      case 'delete':
        this.changeSeqs.push(event.seq);
        this.sinceSnapshot.push({ type: 'delete', seq: event.seq, id: event.oldRow.id });
        return;
      case 'error':
        this.errors.push(`${event.error.code}: ${event.error.message}${event.fatal ? ' (fatal)' : ''}`);
        return;
      case 'status':
        this.statuses.push(event.status);
        return;
      default:
        return;
    }
  }

  /** The changes this subscription must have received since its last snapshot, per the writer's log. */
  expectedSinceSnapshot(): SeenChange[] {
    const point = this.snapshotPoint;
    if (point === undefined) return [];
    const out: SeenChange[] = [];
    for (const change of this.writer.changes) {
      if (change.seq <= point) continue;
      const before = change.oldRow !== null && this.spec.where(change.oldRow);
      const after = change.newRow !== null && this.spec.where(change.newRow);
      const id = (change.newRow ?? change.oldRow)?.id;
      if (before && after) out.push({ type: 'update', seq: change.seq, id });
      else if (before) out.push({ type: 'delete', seq: change.seq, id });
      else if (after) out.push({ type: 'insert', seq: change.seq, id });
    }
    return out;
  }

  /** Counts for reports: change seqs delivered twice or out of order, and expected changes never delivered. */
  tally(): { duplicates: number; gaps: number } {
    let duplicates = 0;
    for (let i = 1; i < this.changeSeqs.length; i++) if ((this.changeSeqs[i] as bigint) <= (this.changeSeqs[i - 1] as bigint)) duplicates++;
    const seen = new Set(this.sinceSnapshot.map((c) => c.seq));
    const gaps = this.expectedSinceSnapshot().filter((c) => !seen.has(c.seq)).length;
    return { duplicates, gaps };
  }

  /** Cheap convergence test (no HTTP): ready and every expected change delivered. */
  caughtUp(): boolean {
    if (this.handle.status !== 'ready' || this.snapshotPoint === undefined) return false;
    return this.expectedSinceSnapshot().length === this.sinceSnapshot.length;
  }

  /** The strict check. `token` is the subscribing user's, `baseUrl` the server's (not the proxy's). */
  async check(baseUrl: string, token: string): Promise<CheckResult> {
    const problems: string[] = [];
    const name = this.handle.id;
    for (let i = 1; i < this.changeSeqs.length; i++) {
      const a = this.changeSeqs[i - 1] as bigint;
      const b = this.changeSeqs[i] as bigint;
      if (b <= a) problems.push(`${name}: duplicate/out-of-order change seq ${b} after ${a} (event ${i})`);
    }
    const expected = this.expectedSinceSnapshot();
    const seen = this.sinceSnapshot;
    const fmt = (c: SeenChange | undefined): string => (c === undefined ? 'nothing' : `${c.type} id=${String(c.id)} seq=${c.seq}`);
    for (let i = 0; i < Math.max(expected.length, seen.length); i++) {
      const e = expected[i];
      const s = seen[i];
      if (e?.type !== s?.type || e?.seq !== s?.seq || e?.id !== s?.id) {
        problems.push(`${name}: event ${i} after snapshot point ${String(this.snapshotPoint)}: expected ${fmt(e)}, got ${fmt(s)} (expected ${expected.length}, got ${seen.length})`);
        break;
      }
    }
    const rows = this.live.getSnapshot().rows as ReadonlyArray<Record<string, unknown>>;
    const serverRows = await select(baseUrl, token, this.spec.sql, this.spec.params);
    const byId = new Map(rows.map((r) => [r.id, r]));
    if (rows.length !== byId.size) problems.push(`${name}: ${rows.length} rows but ${byId.size} distinct ids`);
    if (serverRows.length !== rows.length) problems.push(`${name}: ${rows.length} live rows, server SELECT has ${serverRows.length}`);
    for (const expectedRow of serverRows) {
      const mine = byId.get(expectedRow.id);
      if (mine === undefined) {
        problems.push(`${name}: row id=${String(expectedRow.id)} missing from LiveRows`);
        continue;
      }
      for (const [column, value] of Object.entries(expectedRow)) {
        if (norm(mine[column]) !== norm(value)) problems.push(`${name}: row id=${String(expectedRow.id)} column ${column}: live ${String(norm(mine[column]))} ≠ server ${String(norm(value))}`);
      }
      const lastWrite = [...this.writer.changes].reverse().find((c) => (c.newRow ?? c.oldRow)?.id === expectedRow.id);
      if (lastWrite !== undefined && norm(mine._seq) !== lastWrite.seq.toString()) {
        problems.push(`${name}: row id=${String(expectedRow.id)} _seq ${String(norm(mine._seq))} ≠ last write ${lastWrite.seq}`);
      }
    }
    return { problems: problems.slice(0, 10), events: this.events, changes: this.changeSeqs.length, resets: this.resets };
  }
}
