/**
 * A small ordered key/value store over rocksdb-native: the only storage surface the engine uses,
 * so the binding stays swappable.
 */
import RocksDB from 'rocksdb-native';

/** One stored pair. */
export interface KvPair {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** Range bounds over raw keys. */
export interface KvRangeOptions {
  readonly gt?: Buffer;
  readonly gte?: Buffer;
  readonly lt?: Buffer;
  readonly lte?: Buffer;
  readonly reverse?: boolean;
  readonly limit?: number;
  /** Skip reading values (each pair's `value` is then empty). @default false */
  readonly keysOnly?: boolean;
}

/** One write of an atomic batch. */
export type KvWrite =
  | { readonly type: 'put'; readonly key: Buffer; readonly value: Buffer }
  | { readonly type: 'del'; readonly key: Buffer }
  | { readonly type: 'delRange'; readonly gte: Buffer; readonly lt: Buffer };

/** Read access (the live db or a snapshot). */
export interface KvReader {
  get(key: Buffer): Promise<Buffer | undefined>;
  getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]>;
  range(options: KvRangeOptions): AsyncIterable<KvPair>;
}

/** A consistent read view. */
export interface KvSnapshot extends KvReader {
  release(): void;
}

/** The store. */
export interface KvStore extends KvReader {
  put(key: Buffer, value: Buffer): Promise<void>;
  del(key: Buffer): Promise<void>;
  /** Apply writes atomically. */
  batch(writes: readonly KvWrite[]): Promise<void>;
  deleteRange(gte: Buffer, lt: Buffer): Promise<void>;
  /** A snapshot of the committed state, taken synchronously. */
  snapshot(): KvSnapshot;
  close(): Promise<void>;
}

const SCAN_CAPACITY = 256;
const EMPTY = Buffer.alloc(0);

class RocksReader implements KvReader {
  constructor(protected readonly db: RocksDB) {}

  async get(key: Buffer): Promise<Buffer | undefined> {
    const value = await this.db.get(key);
    return value ?? undefined;
  }

  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return [];
    const batch = this.db.read({ capacity: keys.length, autoDestroy: true });
    const pending = keys.map((k) => batch.get(k));
    batch.tryFlush();
    const values = await Promise.all(pending);
    return values.map((v) => v ?? undefined);
  }

  async *range(options: KvRangeOptions): AsyncIterable<KvPair> {
    const limit = options.limit ?? Infinity;
    const it = this.db.iterator({
      ...(options.gt ? { gt: options.gt } : {}),
      ...(options.gte ? { gte: options.gte } : {}),
      ...(options.lt ? { lt: options.lt } : {}),
      ...(options.lte ? { lte: options.lte } : {}),
      reverse: options.reverse ?? false,
      limit,
      capacity: Math.max(1, Math.min(SCAN_CAPACITY, limit)),
      ...(options.keysOnly ? { values: false } : {}),
    });
    for await (const entry of it) yield { key: entry.key, value: entry.value ?? EMPTY };
  }
}

class RocksSnapshot extends RocksReader implements KvSnapshot {
  private released = false;
  constructor(db: RocksDB, private readonly onRelease: (s: RocksSnapshot) => void) {
    super(db);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease(this);
    void this.db.close();
  }
}

class RocksStore extends RocksReader implements KvStore {
  private readonly snapshots = new Set<RocksSnapshot>();
  private closing: Promise<void> | undefined;

  async put(key: Buffer, value: Buffer): Promise<void> {
    await this.db.put(key, value);
  }

  async del(key: Buffer): Promise<void> {
    await this.db.delete(key);
  }

  async deleteRange(gte: Buffer, lt: Buffer): Promise<void> {
    await this.db.deleteRange(gte, lt);
  }

  async batch(writes: readonly KvWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const batch = this.db.write({ capacity: writes.length, autoDestroy: true });
    for (const w of writes) {
      if (w.type === 'put') batch.tryPut(w.key, w.value);
      else if (w.type === 'del') batch.tryDelete(w.key);
      else batch.tryDeleteRange(w.gte, w.lt);
    }
    await batch.flush();
  }

  snapshot(): KvSnapshot {
    const snap = new RocksSnapshot(this.db.snapshot(), (s) => this.snapshots.delete(s));
    this.snapshots.add(snap);
    return snap;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const s of [...this.snapshots]) s.release();
      await this.db.close();
    })();
    return this.closing;
  }
}

/** Open (creating when missing) a RocksDB store at `path`. */
export async function openKvStore(path: string): Promise<KvStore> {
  const db = new RocksDB(path);
  await db.ready();
  return new RocksStore(db);
}
