/**
 * The chaos writer: random single-row inserts, updates and deletes over HTTP, straight to the
 * server (never through the fault proxy), with a model of the table and the SeqId of every
 * change — so the events each subscription must receive can be computed exactly.
 */
import { sql } from './http.js';
import type { Rng } from './rng.js';

/** A row of the chaos table `(id INT PRIMARY KEY, grp INT, label TEXT, n BIGINT)`. */
export interface ItemRow {
  readonly id: number;
  readonly grp: number;
  readonly label: string | null;
  readonly n: bigint;
}

/** One committed change, as the writer made it. */
export interface WrittenChange {
  readonly seq: bigint;
  readonly type: 'insert' | 'update' | 'delete';
  readonly oldRow: ItemRow | null;
  readonly newRow: ItemRow | null;
}

/** DDL of the chaos table (kind: `SHARED` or `USER`). */
export function itemsTableDdl(table: string, kind: 'SHARED' | 'USER'): string {
  return `CREATE ${kind} TABLE ${table} (id INT PRIMARY KEY, grp INT, label TEXT, n BIGINT)`;
}

/** Writes through HTTP and remembers what it wrote. Not concurrent with itself: each write is awaited. */
export class Writer {
  readonly rows = new Map<number, ItemRow>();
  readonly changes: WrittenChange[] = [];
  private nextId = 1;
  private bulkRound = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private baseUrl: string,
    private readonly token: string,
    readonly table: string,
    private readonly rng: Rng,
    /** Ids are drawn from [1, maxRows] for updates/deletes; inserts stop at maxRows live rows. */
    private readonly maxRows = 60,
  ) {}

  /** Point at another server URL (after a restart on a new port). */
  setBaseUrl(url: string): void {
    this.baseUrl = url;
  }

  /** Insert `count` rows (one statement each). */
  async seed(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.insert();
  }

  /**
   * Insert `count` rows with multi-row statements (fast). Their individual SeqIds are unknown, so
   * use it only before subscribing: those rows then sit below every snapshot point.
   */
  async bulkInsert(count: number, chunk = 500): Promise<void> {
    await this.serial(async () => {
      for (let done = 0; done < count; done += chunk) {
        const items: ItemRow[] = [];
        for (let i = 0; i < Math.min(chunk, count - done); i++) {
          items.push({ id: this.nextId++, grp: this.rng.int(0, 2), label: `b${this.rng.int(0, 999)}`, n: BigInt(this.rng.int(0, 1000)) });
        }
        const values = items.map((r) => `(${r.id}, ${r.grp}, '${r.label ?? ''}', ${r.n})`).join(', ');
        await sql(this.baseUrl, this.token, `INSERT INTO ${this.table} (id, grp, label, n) VALUES ${values}`);
        for (const item of items) this.rows.set(item.id, item);
      }
    });
  }

  /**
   * One multi-row UPDATE of every row (`n = <round>`, label padded to `labelBytes`), then read each
   * row's new `_seq` back so the model knows every change's SeqId (the writer is the only writer).
   */
  async bulkUpdate(labelBytes = 0): Promise<void> {
    await this.serial(async () => {
      const label = labelBytes > 0 ? 'p'.repeat(labelBytes) : null;
      const n = BigInt(++this.bulkRound) * 1_000_000_007n;
      await sql(this.baseUrl, this.token, `UPDATE ${this.table} SET n = $1, label = $2 WHERE id > 0`, [n.toString(), label]);
      const [result] = await sql(this.baseUrl, this.token, `SELECT id, _seq FROM ${this.table}`);
      const updated = (result?.rows ?? []).map((r) => ({ id: Number(r.id), seq: BigInt(String(r._seq)) })).sort((a, b) => (a.seq < b.seq ? -1 : 1));
      for (const { id, seq } of updated) {
        const old = this.rows.get(id);
        if (old === undefined) throw new Error(`bulkUpdate: unknown row ${id}`);
        const next: ItemRow = { ...old, n, label };
        this.rows.set(id, next);
        this.record({ seq, type: 'update', oldRow: old, newRow: next });
      }
    });
  }

  /** One random write: insert, update (possibly moving the row between groups, or nulling its label) or delete. */
  random(): Promise<WrittenChange> {
    const roll = this.rng.next();
    if (this.rows.size === 0 || (roll < 0.4 && this.rows.size < this.maxRows)) return this.insert();
    if (roll < 0.8) return this.update();
    return this.remove();
  }

  /** `count` random writes in sequence. */
  async burst(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.random();
  }

  /** Insert one row. */
  insert(row?: Partial<ItemRow>): Promise<WrittenChange> {
    const id = row?.id ?? this.nextId++;
    const item: ItemRow = {
      id,
      grp: row?.grp ?? this.rng.int(0, 2),
      label: row?.label === undefined ? `l${this.rng.int(0, 999)}` : row.label,
      n: row?.n ?? BigInt(this.rng.int(0, 1_000_000)) * 10_000_000_000n,
    };
    return this.serial(async () => {
      const seq = await this.exec(`INSERT INTO ${this.table} (id, grp, label, n) VALUES ($1, $2, $3, $4)`, [item.id, item.grp, item.label, item.n.toString()]);
      this.rows.set(item.id, item);
      return this.record({ seq, type: 'insert', oldRow: null, newRow: item });
    });
  }

  /** Update one existing row (random unless `id` is given). */
  update(id?: number, patch?: Partial<Omit<ItemRow, 'id'>>): Promise<WrittenChange> {
    return this.serial(async () => {
      const old = this.rows.get(id ?? this.pickId());
      if (old === undefined) throw new Error(`update: no row ${String(id)}`);
      const next: ItemRow = {
        id: old.id,
        grp: patch?.grp ?? (this.rng.chance(0.4) ? this.rng.int(0, 2) : old.grp),
        label: patch?.label !== undefined ? patch.label : this.rng.chance(0.15) ? null : `u${this.rng.int(0, 999)}`,
        n: patch?.n ?? old.n + 1n,
      };
      const seq = await this.exec(`UPDATE ${this.table} SET grp = $1, label = $2, n = $3 WHERE id = $4`, [next.grp, next.label, next.n.toString(), old.id]);
      this.rows.set(old.id, next);
      return this.record({ seq, type: 'update', oldRow: old, newRow: next });
    });
  }

  /** Delete one existing row (random unless `id` is given). */
  remove(id?: number): Promise<WrittenChange> {
    return this.serial(async () => {
      const old = this.rows.get(id ?? this.pickId());
      if (old === undefined) throw new Error(`delete: no row ${String(id)}`);
      const seq = await this.exec(`DELETE FROM ${this.table} WHERE id = $1`, [old.id]);
      this.rows.delete(old.id);
      return this.record({ seq, type: 'delete', oldRow: old, newRow: null });
    });
  }

  private pickId(): number {
    return this.rng.pick([...this.rows.keys()]);
  }

  private record(change: WrittenChange): WrittenChange {
    const last = this.changes.at(-1);
    if (last !== undefined && change.seq <= last.seq) throw new Error(`server SeqId went backwards: ${change.seq} after ${last.seq}`);
    this.changes.push(change);
    return change;
  }

  private async exec(statement: string, params: readonly unknown[]): Promise<bigint> {
    const [result] = await sql(this.baseUrl, this.token, statement, params);
    if (result?.row_count !== 1 || result.last_seq === undefined) {
      throw new Error(`${statement}: expected one changed row with last_seq, got ${JSON.stringify(result)}`);
    }
    return BigInt(result.last_seq);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
