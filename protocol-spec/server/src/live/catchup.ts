/**
 * Shared catch-up: subscriptions of one table partition that start catching up in the same tick
 * (a resuming client re-sends all its subscriptions at once) replay the change log in ONE pass.
 * Each change is offered only to the members whose WHERE can see it ({@link RangeIndex}), is
 * encoded once per projection, and every member goes live in the tick the pass reaches the head —
 * the same boundary rule as a lone catch-up (subscription.ts). A member whose connection is
 * congested, or whose position the log can no longer serve, leaves the pass at its exact position
 * and continues alone.
 */
import { KalamError, type Codec } from '@kalam/link/protocol';
import { keyRangeOfPlan } from '../engine/live.js';
import type { CommittedChange, Engine, LiveQueryPlan } from '../engine/types.js';
import { classify, sharedChange, type Outcome } from './changes.js';
import { encodeShared, WireSeq, type EncodedChange } from './encode.js';
import { RangeIndex, type CandidateSink } from './rangeIndex.js';

/** What the pass needs from a catching-up subscription. */
export interface CatchUpMember {
  readonly plan: LiveQueryPlan;
  readonly host: { readonly engine: Engine; readonly codec: Codec; readonly compat: boolean; readonly congested: boolean };
  /** Highest seq examined for this member (changes at or below it are not delivered again). */
  position: bigint;
  /** True once the subscription or its connection ended. */
  readonly stale: boolean;
  /** Deliver one change (already encoded for this member's projection and codec). */
  deliverCaughtUp(encoded: EncodedChange, seq: WireSeq): void;
  /** The pass reached the head: start live routing now (same tick). */
  goLive(): void;
}

/** How a member left the pass: live, or to continue alone from its position. */
export type CatchUpEnd = 'live' | 'alone';

const PAGE = 1000;
/** Event-loop turns a pass may wait for more members before it starts reading. */
const MAX_COLLECT_TURNS = 16;

interface Slot {
  readonly member: CatchUpMember;
  readonly done: (end: CatchUpEnd) => void;
  left: boolean;
  /** Last change index this slot was offered (old and new row may both hit it). */
  stamp: number;
  /** Members with the same encoding id get identical `change` bytes (projection, codec, compat). */
  encoding: number;
}

/** The change a pass is offering to its members, and what it has worked out for it so far. */
interface Offering {
  change: CommittedChange | undefined;
  /** Its wire seq, made on first delivery. */
  seq: WireSeq | undefined;
  /** Stamp of this offer: a member reached through both the old and the new row takes it once. */
  n: number;
  /** Seq of the last change fully offered before this one. */
  examined: bigint;
  readonly outcomes: Map<LiveQueryPlan, Outcome | null>;
  readonly encoded: Map<number, EncodedChange>;
}

/** Open passes (still collecting members this tick), by engine and table partition. */
const open = new WeakMap<Engine, Map<string, Pass>>();

/** Catch `member` up from its position with the other members that join in this tick. */
export function joinCatchUp(member: CatchUpMember): Promise<CatchUpEnd> {
  const { engine } = member.host;
  let passes = open.get(engine);
  if (passes === undefined) open.set(engine, (passes = new Map()));
  const key = `${member.plan.tableId}\u0000${member.plan.partition}`;
  let pass = passes.get(key);
  if (pass === undefined) {
    const created = new Pass(engine, member.plan.tableId, member.plan.partition);
    passes.set(key, (pass = created));
    let turns = 0;
    // a burst of subscribes arrives over several socket reads: keep collecting while it lasts
    // (a turn of the event loop that added no member ends it), so the burst is one pass, not one per read
    const start = (): void => {
      if (created.joinedSinceCheck() && ++turns < MAX_COLLECT_TURNS) {
        setImmediate(start);
        return;
      }
      passes.delete(key);
      created.run().catch(() => created.release('alone'));
    };
    setImmediate(start);
  }
  return pass.add(member);
}

class Pass implements CandidateSink<Slot> {
  readonly #slots: Slot[] = [];
  #checked = 0;
  /** The change being offered; {@link offer} reads it (offer is a method so every pass shares one call target). */
  readonly #current: Offering = { change: undefined, seq: undefined, n: -1, examined: 0n, outcomes: new Map(), encoded: new Map() };

  /** True when members joined since the last call. */
  joinedSinceCheck(): boolean {
    const joined = this.#slots.length > this.#checked;
    this.#checked = this.#slots.length;
    return joined;
  }

  constructor(
    readonly engine: Engine,
    readonly tableId: string,
    readonly partition: string,
  ) {}

  add(member: CatchUpMember): Promise<CatchUpEnd> {
    return new Promise((resolve) => this.#slots.push({ member, done: resolve, left: false, stamp: -1, encoding: 0 }));
  }

  /** Every member still in the pass leaves with `end`. */
  release(end: CatchUpEnd): void {
    for (const s of this.#slots) this.#leave(s, end);
  }

  async run(): Promise<void> {
    const { engine } = this;
    const index = new RangeIndex(this.#slots, (s) => keyRangeOfPlan(s.member.plan));
    const encodings = new Map<string, number>();
    for (const s of this.#slots) {
      const { plan, host } = s.member;
      const key = `${plan.projectionKey}\u0000${host.codec.serialization}\u0000${host.compat ? 'c' : ''}`;
      let id = encodings.get(key);
      if (id === undefined) encodings.set(key, (id = encodings.size * 3));
      s.encoding = id;
    }
    let after = this.#slots.reduce((min, s) => (s.member.position < min ? s.member.position : min), this.#slots[0]!.member.position);
    let stamp = 0;
    const current = this.#current;
    current.examined = after;
    for (;;) {
      const active = this.#active();
      if (active.length === 0) return;
      const head = engine.currentSeq();
      if (after >= head) {
        for (const s of active) {
          s.left = true;
          s.member.goLive();
          s.done('live');
        }
        return;
      }
      for (const s of active) {
        // a congested reader paces alone; a position the log no longer serves is handled (aborted) alone
        if (s.member.host.congested || !engine.isRetained(this.tableId, this.partition, s.member.position)) this.#leave(s, 'alone');
      }
      if (this.#active().length === 0) return;
      let page: readonly CommittedChange[];
      try {
        page = await engine.readChanges(this.tableId, this.partition, after, head, PAGE);
      } catch (e) {
        if (KalamError.is(e, 'CONFLICT')) return this.release('alone');
        throw e;
      }
      let examined = after;
      for (const change of page) {
        current.change = change;
        current.seq = undefined;
        current.n = stamp++;
        current.examined = examined;
        if (current.outcomes.size > 0) current.outcomes.clear();
        if (current.encoded.size > 0) current.encoded.clear();
        if (change.newRow !== null) index.collect(change.newRow, this);
        if (change.oldRow !== null) index.collect(change.oldRow, this);
        examined = change.seq;
      }
      const last = page[page.length - 1];
      after = page.length < PAGE || last === undefined ? head : last.seq;
      for (const s of this.#slots) if (!s.left && s.member.position < after) s.member.position = after;
    }
  }

  /** {@link CandidateSink.offer}: the change in hand to one candidate member. */
  offer(s: Slot): void {
    const current = this.#current;
    if (s.stamp === current.n || s.left) return;
    s.stamp = current.n;
    const m = s.member;
    if (m.stale) return this.#leave(s, 'alone');
    const change = current.change!;
    if (change.seq <= m.position) return;
    if (m.host.congested) {
      // leave exactly before this change: everything up to the previous one was examined
      if (current.examined > m.position) m.position = current.examined;
      return this.#leave(s, 'alone');
    }
    let outcome = current.outcomes.get(m.plan);
    if (outcome === undefined) current.outcomes.set(m.plan, (outcome = classify(m.plan, change)));
    if (outcome === null) return;
    const key = s.encoding + (outcome.changeType === 'insert' ? 0 : outcome.changeType === 'update' ? 1 : 2);
    let frame = current.encoded.get(key);
    if (frame === undefined) current.encoded.set(key, (frame = encodeShared(m.host.codec, sharedChange(m.plan, outcome, change.seq, m.host.compat))));
    m.position = change.seq;
    m.deliverCaughtUp(frame, (current.seq ??= new WireSeq(change.seq)));
  }

  #active(): Slot[] {
    const out: Slot[] = [];
    for (const s of this.#slots) {
      if (s.left) continue;
      if (s.member.stale) this.#leave(s, 'alone');
      else out.push(s);
    }
    return out;
  }

  #leave(s: Slot, end: CatchUpEnd): void {
    if (s.left) return;
    s.left = true;
    s.done(end);
  }
}
