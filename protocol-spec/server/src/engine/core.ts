/**
 * Engine state shared by the executor and the live-query side: the store, catalog, users, change
 * log, SeqId generator, the single-writer lock and the commit path (row + `_seq` index + change log
 * in one atomic batch, then listeners, synchronously).
 */
import { KalamError, type SeqId } from '@kalam/link/protocol';
import type { KvSnapshot, KvStore, KvWrite } from '../store/kv.js';
import { nameKey, P, readU64, u64 } from '../store/keys.js';
import { SeqGenerator } from '../seq.js';
import type { Catalog, TableMeta } from './catalog.js';
import type { ChangeLog, PendingChange } from './changelog.js';
import { PkFilters } from './pkFilter.js';
import type { RowCounts } from './rowcount.js';
import type { Users } from './users.js';
import type { CommittedChange, TableDropped, UserChange } from './types.js';

const SEQ_HW_KEY = nameKey(P.meta, 'seqhw');
const CURRENT_KEY = nameKey(P.meta, 'current');

/** Serialises async sections (the single writer). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** A listener set whose listeners never break the caller. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();
  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  emit(value: T): void {
    for (const l of this.set) {
      try {
        l(value);
      } catch (e) {
        console.error('kalam engine: listener failed', e);
      }
    }
  }
}

export interface Retention {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
}

/** Persisted seq marks: the generator's high-water and the last committed change. */
export async function loadSeqMarks(kv: KvStore): Promise<{ hw: SeqId; current: SeqId }> {
  const [hw, current] = await kv.getMany([SEQ_HW_KEY, CURRENT_KEY]);
  return { hw: hw ? readU64(hw, 0) : 0n, current: current ? readU64(current, 0) : 0n };
}

export class Core {
  readonly lock = new Mutex();
  readonly commits = new Listeners<readonly CommittedChange[]>();
  readonly userChanges = new Listeners<UserChange>();
  readonly drops = new Listeners<TableDropped>();
  private current: SeqId;
  private inFlight: { seq: SeqId; waiters: ((ok: boolean) => void)[] } | null = null;
  private trimScheduled = false;
  closed = false;
  /** Primary-key filters that let INSERTs skip the duplicate-key read (under the lock). */
  readonly pkFilters: PkFilters;

  constructor(
    readonly kv: KvStore,
    readonly catalog: Catalog,
    readonly users: Users,
    readonly log: ChangeLog,
    readonly rowCounts: RowCounts,
    readonly seq: SeqGenerator,
    current: SeqId,
    readonly retention: Retention,
  ) {
    this.current = current;
    this.pkFilters = new PkFilters(kv);
  }

  /** SeqId of the last committed change. */
  get currentSeq(): SeqId {
    return this.current;
  }

  /**
   * A KV snapshot consistent with a SeqId: now when no batch is committing, else right after the
   * committing batch lands (its seq is then the snapshot's seq).
   */
  snapshotAt(): { seq: SeqId; snapshot: Promise<KvSnapshot> } {
    const f = this.inFlight;
    if (f === null) return { seq: this.current, snapshot: Promise.resolve(this.kv.snapshot()) };
    return {
      seq: f.seq,
      snapshot: new Promise((resolve, reject) =>
        f.waiters.push((ok) => (ok ? resolve(this.kv.snapshot()) : reject(new KalamError('INTERNAL', 'snapshot failed: a write could not be committed')))),
      ),
    };
  }

  /**
   * Write a batch (under the lock). `newCurrent` advances the committed seq on success;
   * `applied` runs in the same synchronous step, before any reader can see the new seq.
   */
  async write(writes: KvWrite[], newCurrent?: SeqId, applied?: () => void): Promise<void> {
    const target = newCurrent ?? this.current;
    writes.push({ type: 'put', key: SEQ_HW_KEY, value: u64(this.seq.lastIssued) });
    if (newCurrent !== undefined) writes.push({ type: 'put', key: CURRENT_KEY, value: u64(newCurrent) });
    const flight = { seq: target, waiters: [] as ((ok: boolean) => void)[] };
    this.inFlight = flight;
    let ok = false;
    let exposable = false;
    try {
      await this.kv.batch(writes);
      ok = exposable = true;
    } finally {
      if (ok) {
        applied?.();
        this.current = target;
      }
      else if (flight.waiters.length > 0) exposable = await this.persistHighWater();
      this.inFlight = null;
      for (const w of flight.waiters) w(exposable);
    }
  }

  /**
   * After a failed batch, snapshots opened during it carry its (never committed) seq. Persist the
   * generator's high-water mark before they may hand that seq out, so a restart never re-issues it
   * (a client resuming from it would skip those new changes). False when even that write fails:
   * the snapshots are then failed instead.
   */
  private async persistHighWater(): Promise<boolean> {
    try {
      await this.kv.put(SEQ_HW_KEY, u64(this.seq.lastIssued));
      return true;
    } catch {
      return false;
    }
  }

  /** Commit row changes of one table partition with their change-log entries, then notify. */
  async commitRows(table: TableMeta, partition: string, changes: readonly PendingChange[], rowWrites: KvWrite[]): Promise<void> {
    if (changes.length === 0) return;
    const writes = rowWrites;
    const entries = this.log.appendWrites(table, partition, changes, writes);
    let delta = 0;
    for (const c of changes) delta += c.changeType === 'insert' ? 1 : c.changeType === 'delete' ? -1 : 0;
    const applyCount = await this.rowCounts.prepare(table.tid, partition, delta, writes);
    await this.write(writes, changes[changes.length - 1]!.seq, () => this.log.applyAppend(table, partition, entries));
    applyCount();
    this.commits.emit(
      changes.map((c) => ({ seq: c.seq, tableId: table.tableId, kind: table.kind, partition, changeType: c.changeType, oldRow: c.oldRow, newRow: c.newRow })),
    );
    this.maybeScheduleTrim();
  }

  /** Trim the change log now (serialised with writes). */
  trimNow(): Promise<number> {
    return this.lock.run(async () => (this.closed ? 0 : this.log.trim(this.retention.maxEntries, this.retention.maxAgeMs, Date.now())));
  }

  maybeScheduleTrim(): void {
    if (this.trimScheduled || this.closed) return;
    if (!this.log.needsTrim(this.retention.maxEntries, this.retention.maxAgeMs, Date.now())) return;
    this.trimScheduled = true;
    setImmediate(() => {
      this.trimScheduled = false;
      this.trimNow().catch((e: unknown) => console.error('kalam engine: change-log trim failed', e));
    });
  }
}
