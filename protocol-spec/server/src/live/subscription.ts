/**
 * One live query on one connection: fresh snapshot in batches at a consistent point S (or resume
 * from F), then catch-up from the change log, then live fan-out — switched in the same tick the
 * log read reaches the head, so nothing is lost or repeated at the boundary.
 *
 * ```
 * starting ─▶ snapshot ──(final batch)──▶ catchup ──(log head reached)──▶ live
 *     └──────(from retained)───────────────▲
 * any state ──(unsubscribe / close / kill / replace)──▶ closed
 * ```
 */
import type { BatchControl, ChangeType, Codec, Frame, ParamValue, Row, SchemaField, ServerMessage, SubscriptionAckMessage, SubscriptionOptions } from '@kalam/link/protocol';
import { KalamError } from '@kalam/link/protocol';
import type { CommittedChange, Engine, LiveQueryPlan, Snapshot } from '../engine/types.js';
import { classify, sharedChange, type Outcome } from './changes.js';
import { encodeAckMsgpack } from './ackEncode.js';
import { joinCatchUp } from './catchup.js';
import { encodeShared, WireSeq, type EncodedChange } from './encode.js';

/** What a subscription needs from its connection and the server. */
export interface SubscriptionHost {
  readonly engine: Engine;
  readonly compat: boolean;
  readonly codec: Codec;
  readonly maxBatchSize: number;
  readonly defaultBatchSize: number;
  /** True once the connection is closed. */
  readonly closed: boolean;
  send(message: ServerMessage): void;
  sendFrame(frame: Frame): void;
  /** Send one subscriber's splice of a shared change (`prevSeq` undefined: omitted, KalamDB compat). */
  sendChange(encoded: EncodedChange, id: string, prevSeq: WireSeq | undefined): void;
  /** The subscription was acknowledged: persist its `system.live_queries` row. */
  acknowledged(sub: LiveSubscription): void;
  /** Start live routing to `sub`. */
  goLive(sub: LiveSubscription): void;
  /** True while the outbound buffer is too full for bulk (catch-up) traffic: wait on {@link writable}. */
  readonly congested: boolean;
  /** Resolves once the outbound buffer has room for bulk (catch-up) traffic; rejects never. */
  writable(): Promise<void>;
  /**
   * This subscription cannot go on without losing events (the change log was trimmed past its
   * position, or a change could not be encoded): drop the socket with 1011 so the client resumes.
   */
  abort(sub: LiveSubscription, reason: string): void;
  /** End subscription `id` on the server's initiative, telling the client why. */
  endSubscription(id: string, reason: 'killed' | 'table_dropped' | 'unauthorized' | 'server_error'): boolean;
}

/** Per-change memo shared by every subscription one fan-out reaches. */
export interface FanoutMemo {
  readonly outcomes: Map<LiveQueryPlan, Outcome | null>;
  /** By projection key: one slot per serialization × change type ({@link encodingSlot}). */
  readonly encoded: Map<string, (EncodedChange | undefined)[]>;
  /** The change's seq in wire form (becomes each reached subscriber's next `prev_seq`). */
  readonly seq: WireSeq;
}

type State = 'starting' | 'snapshot' | 'catchup' | 'live' | 'closed';

const CATCHUP_PAGE = 1000;
/** Changes examined per filtered catch-up read (Engine.readChangesFor: only matches are materialised). */
const CATCHUP_SCAN = 16_384;

/** Slot of an encoding in a {@link FanoutMemo} entry. */
function encodingSlot(serialization: string, changeType: ChangeType): number {
  return (serialization === 'msgpack' ? 3 : 0) + (changeType === 'insert' ? 0 : changeType === 'update' ? 1 : 2);
}

/** Snapshot paging state, held only while batches are being sent. */
interface Paging {
  snapshot: Snapshot | undefined;
  batchNum: number;
  cursor: bigint | undefined;
  busy: boolean;
}

const ZERO = new WireSeq(0n);
/** The most recent wire seq made by {@link wireSeq}: subscriptions acknowledged at the same point share it. */
let lastWireSeq = ZERO;

function wireSeq(seq: bigint): WireSeq {
  if (lastWireSeq.seq !== seq) lastWireSeq = new WireSeq(seq);
  return lastWireSeq;
}

/**
 * One registered subscription. Kept small (thousands per server): the plan (shared through the
 * plan cache, its projection shared by every plan of the same columns) carries the query; per
 * subscription are only its position, counters and, while it lasts, the snapshot paging state.
 */
export class LiveSubscription {
  readonly createdAt = Date.now();
  /** `change` events delivered. */
  changes = 0;
  /** Position in live routing order (the registry's; −1: not routed). */
  routeOrder = -1;
  /** SeqId of the last event delivered to this subscription (next change's `prev_seq`), in wire form. */
  #last = ZERO;
  #state: State = 'starting';
  /** Highest SeqId examined from the change stream (delivered or not). */
  #position = 0n;
  #paging: Paging | undefined;

  constructor(
    readonly host: SubscriptionHost,
    readonly id: string,
    readonly sql: string,
    readonly params: readonly ParamValue[],
    readonly options: SubscriptionOptions | undefined,
    readonly plan: LiveQueryPlan,
  ) {
    const batchSize = this.#batchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > host.maxBatchSize) {
      throw new KalamError('INVALID_ARGUMENT', `batch_size must be an integer in 1..${host.maxBatchSize}, got ${batchSize}`);
    }
    const lastRows = this.#lastRows;
    if (lastRows !== undefined && (!Number.isInteger(lastRows) || lastRows < 0)) {
      throw new KalamError('INVALID_ARGUMENT', 'last_rows must be a non-negative integer');
    }
    if (lastRows !== undefined && lastRows > batchSize) {
      throw new KalamError('UNSUPPORTED', 'last_rows must not exceed batch_size (paginated last_rows replay is not supported)');
    }
  }

  get #batchSize(): number {
    return this.options?.batch_size ?? this.host.defaultBatchSize;
  }
  get #lastRows(): number | undefined {
    return this.options?.last_rows;
  }

  /** SeqId of the last event delivered to this subscription (next change's `prev_seq`). */
  get lastSeq(): bigint {
    return this.#last.seq;
  }
  set lastSeq(seq: bigint) {
    this.#last = wireSeq(seq);
  }

  get tableId(): string {
    return this.plan.tableId;
  }
  get kind(): 'user' | 'shared' {
    return this.plan.kind;
  }
  get partition(): string {
    return this.plan.partition;
  }
  get state(): State {
    return this.#state;
  }
  get schema(): readonly SchemaField[] {
    return this.plan.schema;
  }

  /** Acknowledge and start streaming. Rejects with KalamError on failure (nothing was acknowledged). */
  async start(): Promise<void> {
    const { engine } = this.host;
    if (this.options === undefined) {
      const s = engine.currentSeq();
      this.#ack(0, { batch_num: 0, has_more: false, status: 'ready', last_seq_id: s }, undefined);
      this.lastSeq = s;
      this.#position = s;
      this.#goLive();
      return;
    }
    const from = this.options.from;
    if (from !== undefined && !this.host.compat) {
      if (from <= engine.currentSeq() && engine.isRetained(this.tableId, this.partition, from)) {
        this.#ack(0, { batch_num: 0, has_more: false, status: 'ready', last_seq_id: from }, true);
        this.lastSeq = from;
        this.#position = from;
        await this.#catchUp(from);
        return;
      }
      await this.#startSnapshot(undefined, false);
      return;
    }
    await this.#startSnapshot(this.host.compat ? from : undefined, undefined);
  }

  /** Client asked for the next snapshot batch. */
  async nextBatch(): Promise<void> {
    const paging = this.#paging;
    if (this.#state !== 'snapshot' || paging?.snapshot === undefined || paging.busy) {
      throw new KalamError('BATCH_FETCH_FAILED', `no snapshot batch pending for subscription ${this.id}`);
    }
    paging.busy = true;
    try {
      await this.#sendBatch(paging, paging.snapshot, false);
    } finally {
      paging.busy = false;
    }
  }

  /** A live change routed to this subscription (fan-out hot path). */
  onLiveChange(change: CommittedChange, memo: FanoutMemo): void {
    if (this.#state !== 'live' || change.seq <= this.#position) return;
    this.#position = change.seq;
    let outcome = memo.outcomes.get(this.plan);
    if (outcome === undefined) {
      outcome = classify(this.plan, change);
      memo.outcomes.set(this.plan, outcome);
    }
    if (outcome === null) return;
    const { codec } = this.host;
    let slots = memo.encoded.get(this.plan.projectionKey);
    if (slots === undefined) memo.encoded.set(this.plan.projectionKey, (slots = []));
    const slot = encodingSlot(codec.serialization, outcome.changeType);
    let encoded = slots[slot];
    if (encoded === undefined) slots[slot] = encoded = encodeShared(codec, sharedChange(this.plan, outcome, change.seq, this.host.compat));
    this.#deliver(encoded, memo.seq);
  }

  /** End: release the snapshot, stop routing. Idempotent; the caller removes indexes and rows. */
  dispose(): void {
    this.#state = 'closed';
    this.#paging?.snapshot?.release();
    this.#paging = undefined;
  }

  get disposed(): boolean {
    return this.#state === 'closed';
  }

  async #startSnapshot(after: bigint | undefined, resumed: boolean | undefined): Promise<void> {
    const snapshot = this.host.engine.openSnapshot();
    const paging: Paging = { snapshot, batchNum: 0, cursor: after, busy: true };
    this.#paging = paging;
    this.#state = 'snapshot';
    try {
      // an exact count only when it costs no extra partition scan (PROTOCOL.md §7.3: total_rows)
      const total = after === undefined ? await snapshot.countIfCheap?.(this.plan, this.#lastRows) : 0;
      if (this.#stale()) return;
      await this.#sendBatch(paging, snapshot, true, total, resumed);
    } finally {
      paging.busy = false;
    }
  }

  /** `total` undefined = not known cheaply: the first page's row count when it is the only page, else 0. */
  async #sendBatch(paging: Paging, snapshot: Snapshot, first: boolean, total?: number, resumed?: boolean): Promise<void> {
    const scan = await snapshot.scan(this.plan, {
      limit: this.#batchSize,
      ...(paging.cursor === undefined ? {} : { afterSeq: paging.cursor }),
      ...(this.#lastRows === undefined ? {} : { lastRows: this.#lastRows }),
    });
    if (this.#stale()) return;
    const lastRow = scan.rows[scan.rows.length - 1];
    const lastRowSeq = lastRow === undefined ? undefined : seqOf(lastRow);
    const control: BatchControl = {
      batch_num: paging.batchNum,
      has_more: scan.hasMore,
      status: scan.hasMore ? (paging.batchNum === 0 ? 'loading' : 'loading_batch') : 'ready',
      last_seq_id: scan.hasMore ? (lastRowSeq ?? null) : snapshot.seq,
    };
    if (first) this.#ack(total ?? (scan.hasMore ? 0 : scan.rows.length), control, resumed);
    this.host.send({ type: 'initial_data_batch', subscription_id: this.id, rows: scan.rows, batch_control: control });
    paging.batchNum++;
    if (lastRowSeq !== undefined) paging.cursor = lastRowSeq;
    if (scan.hasMore) return;
    snapshot.release();
    paging.snapshot = undefined;
    if (this.#paging === paging) this.#paging = undefined;
    this.lastSeq = snapshot.seq;
    this.#position = snapshot.seq;
    await this.#catchUp(snapshot.seq);
  }

  /** Replay (after, head] from the change log, then go live in the tick the head is reached. */
  async #catchUp(after: bigint): Promise<void> {
    const { engine } = this.host;
    this.#state = 'catchup';
    // with every other subscription of this partition catching up now, in one pass (catchup.ts)
    const self = this;
    const end = await joinCatchUp({
      plan: this.plan,
      host: this.host,
      get position() {
        return self.#position;
      },
      set position(seq: bigint) {
        self.#position = seq;
      },
      get stale() {
        return self.#stale();
      },
      deliverCaughtUp: (encoded, seq) => this.#deliver(encoded, seq),
      goLive: () => this.#goLive(),
    });
    if (end === 'live' || this.#stale()) return;
    after = this.#position;
    for (;;) {
      if (this.#stale()) return;
      const head = engine.currentSeq();
      if (after >= head) {
        this.#goLive();
        return;
      }
      await this.host.writable();
      if (this.#stale()) return;
      let page: readonly CommittedChange[];
      let scannedTo: bigint;
      try {
        if (!engine.isRetained(this.tableId, this.partition, after)) throw new KalamError('CONFLICT', 'change log trimmed');
        // only the changes this query sees: a mass resume does not walk every change of the partition per subscription
        if (engine.readChangesFor !== undefined) ({ changes: page, scannedTo } = await engine.readChangesFor(this.plan, after, head, CATCHUP_SCAN));
        else {
          page = await engine.readChanges(this.tableId, this.partition, after, head, CATCHUP_PAGE);
          const last = page[page.length - 1];
          scannedTo = page.length < CATCHUP_PAGE || last === undefined ? head : last.seq;
        }
      } catch (e) {
        if (!KalamError.is(e, 'CONFLICT')) throw e;
        if (!this.#stale()) this.host.abort(this, 'change log trimmed past this subscription');
        return;
      }
      for (const change of page) {
        if (this.#stale()) return;
        if (change.seq <= this.#position) continue;
        const outcome = classify(this.plan, change);
        if (outcome === null) {
          this.#position = change.seq;
          continue;
        }
        if (this.host.congested) {
          // a page can outweigh the whole buffer: pace within it, or a reader merely slower than RocksDB gets 4006
          await this.host.writable();
          if (this.#stale()) return;
        }
        this.#position = change.seq;
        this.#deliver(encodeShared(this.host.codec, sharedChange(this.plan, outcome, change.seq, this.host.compat)), wireSeq(change.seq));
      }
      after = scannedTo;
      if (this.#position < after) this.#position = after;
    }
  }

  #goLive(): void {
    this.#state = 'live';
    this.host.goLive(this);
  }

  #deliver(encoded: EncodedChange, seq: WireSeq): void {
    const prev = this.host.compat ? undefined : this.#last;
    this.#last = seq;
    this.changes++;
    this.host.sendChange(encoded, this.id, prev);
  }

  #ack(total: number, control: BatchControl, resumed: boolean | undefined): void {
    // two literals rather than a conditional spread: one allocation per ack, all fields in-object
    const ack: SubscriptionAckMessage =
      resumed === undefined || this.host.compat
        ? { type: 'subscription_ack', subscription_id: this.id, total_rows: total, batch_control: control, schema: this.plan.schema }
        : { type: 'subscription_ack', subscription_id: this.id, total_rows: total, batch_control: control, schema: this.plan.schema, resumed };
    const frame = encodeAckMsgpack(this.host.codec, ack);
    if (frame === undefined) this.host.send(ack);
    else this.host.sendFrame(frame);
    this.host.acknowledged(this);
  }

  #stale(): boolean {
    return this.#state === 'closed' || this.host.closed;
  }
}

function seqOf(row: Row): bigint | undefined {
  const v = row['_seq'];
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string' || typeof v === 'number') return BigInt(v);
  return undefined;
}
