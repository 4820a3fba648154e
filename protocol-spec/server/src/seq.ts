/**
 * SeqId generator: KalamDB snowflake layout, strictly increasing per server, including across
 * restarts (start above the persisted high-water mark) and wall-clock regressions (keep counting
 * from the last issued id instead of the clock).
 */
import { KalamError, makeSeqId, SEQ_EPOCH_MS, SEQ_MAX, type SeqId } from '@kalam/link/protocol';

const SEQUENCE_MASK = 0xfffn;
const WORKER_SHIFT = 12n;
const TIME_SHIFT = 22n;

/** Options of {@link SeqGenerator}. */
export interface SeqGeneratorOptions {
  /** Worker id (0–1023). @default 0 */
  readonly workerId?: number;
  /** Every issued id is greater than this (the persisted high-water mark). @default 0n */
  readonly after?: SeqId;
  /** Clock in ms since the Unix epoch. @default Date.now */
  readonly now?: () => number;
}

/** Issues strictly increasing SeqIds. */
export class SeqGenerator {
  private last: SeqId;
  private readonly worker: bigint;
  private readonly now: () => number;

  constructor(options: SeqGeneratorOptions = {}) {
    const workerId = options.workerId ?? 0;
    makeSeqId(SEQ_EPOCH_MS, workerId, 0); // validates the worker id
    this.worker = BigInt(workerId);
    this.last = options.after ?? 0n;
    this.now = options.now ?? Date.now;
  }

  /** The last issued (or the initial high-water) id. */
  get lastIssued(): SeqId {
    return this.last;
  }

  /** The next id: the clock's id when it is ahead, else the last id's successor. */
  next(): SeqId {
    const ms = Math.max(this.now(), SEQ_EPOCH_MS);
    const fromClock = makeSeqId(ms, Number(this.worker), 0);
    let id: SeqId;
    if (fromClock > this.last) {
      id = fromClock;
    } else if ((this.last & SEQUENCE_MASK) < SEQUENCE_MASK && ((this.last >> WORKER_SHIFT) & 0x3ffn) === this.worker) {
      id = this.last + 1n;
    } else {
      // Sequence exhausted in this millisecond (or the high-water came from another worker id):
      // borrow the next millisecond.
      id = (((this.last >> TIME_SHIFT) + 1n) << TIME_SHIFT) | (this.worker << WORKER_SHIFT);
    }
    if (id > SEQ_MAX) throw new KalamError('INTERNAL', 'SeqId space exhausted');
    this.last = id;
    return id;
  }
}
