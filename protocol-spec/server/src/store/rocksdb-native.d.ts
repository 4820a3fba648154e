/** Minimal typings for rocksdb-native@3.18.1 (the package ships none). Only what store/ uses. */
declare module 'rocksdb-native' {
  type Key = Buffer | string;

  interface RangeOptions {
    gt?: Key;
    gte?: Key;
    lt?: Key;
    lte?: Key;
    reverse?: boolean;
    limit?: number;
    /** Entries fetched per native read. @default 8 */
    capacity?: number;
    values?: boolean;
  }

  interface BatchOptions {
    capacity?: number;
    /** Destroy the batch after its flush (close() hangs while a batch is alive). */
    autoDestroy?: boolean;
  }

  class ReadBatch {
    get(key: Key): Promise<Buffer | null>;
    flush(): Promise<void>;
    tryFlush(): void;
    destroy(): void;
  }

  class WriteBatch {
    tryPut(key: Key, value: Key): void;
    tryDelete(key: Key): void;
    tryDeleteRange(start: Key, end: Key): void;
    flush(): Promise<void>;
    destroy(): void;
  }

  class RocksDB {
    constructor(path: string, options?: Record<string, unknown>);
    readonly opened: boolean;
    readonly closed: boolean;
    ready(): Promise<void>;
    close(options?: { force?: boolean }): Promise<void>;
    /** A session reading from a snapshot taken now (synchronously once the db is open). */
    snapshot(): RocksDB;
    read(options?: BatchOptions): ReadBatch;
    write(options?: BatchOptions): WriteBatch;
    get(key: Key): Promise<Buffer | null>;
    put(key: Key, value: Key): Promise<void>;
    delete(key: Key): Promise<void>;
    deleteRange(start: Key, end: Key): Promise<void>;
    iterator(range?: RangeOptions): AsyncIterable<{ key: Buffer; value: Buffer }> & { destroy(): void };
  }

  export = RocksDB;
}
