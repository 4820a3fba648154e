/**
 * Per-tick write coalescing: the first frame sent to a socket in a tick corks it, and
 * one `process.nextTick` uncorks every socket corked in that tick — so the frames one commit fans
 * out to a socket leave in one `writev` instead of one syscall each (the fan-out's dominant cost).
 * Corked bytes count in `ws.bufferedAmount` (they sit in the socket's writable buffer), so the
 * slow-consumer bound still sees them, and a close frame queued behind them leaves after them.
 */

/** The part of a stream socket the corker drives. */
export interface Corkable {
  cork(): void;
  uncork(): void;
  /** Bytes queued for writing (corked ones included). */
  readonly writableLength: number;
}

/** One socket's cork state, owned by its transport. */
export interface CorkSlot {
  readonly socket: Corkable;
  corked: boolean;
  /** A frame was written to the socket uncorked in this tick ({@link TickCorker.firstOrCork}). */
  touched?: boolean;
}

/** Corks sockets on first use in a tick and uncorks them all in one `process.nextTick`. */
export class TickCorker {
  #pending: CorkSlot[] = [];
  readonly #flush = (): void => {
    const pending = this.#pending;
    this.#pending = [];
    for (const slot of pending) {
      slot.touched = false;
      if (!slot.corked) continue;
      slot.corked = false;
      // a no-op on a socket that was ended (end() uncorks) or destroyed meanwhile
      slot.socket.uncork();
    }
  };

  /** Write out what `slot`'s socket holds now, keeping it corked for the rest of the tick. */
  flush(slot: CorkSlot): void {
    if (!slot.corked) return;
    slot.socket.uncork();
    slot.socket.cork();
  }

  /** Cork `slot`'s socket until the end of this tick, unless it already is. */
  cork(slot: CorkSlot): void {
    if (slot.corked) return;
    slot.corked = true;
    slot.socket.cork();
    if (slot.touched === true) return; // already pending
    if (this.#pending.length === 0) process.nextTick(this.#flush);
    this.#pending.push(slot);
  }

  /**
   * True for the first frame of this tick to `slot`'s socket: write it now, uncorked (one write, no
   * buffering — the common case of one change per socket per commit). Any later frame of the tick
   * corks the socket (false), so a burst still leaves in one more write.
   */
  firstOrCork(slot: CorkSlot): boolean {
    if (slot.corked) return false;
    if (slot.touched === true) {
      this.cork(slot);
      return false;
    }
    slot.touched = true;
    if (this.#pending.length === 0) process.nextTick(this.#flush);
    this.#pending.push(slot);
    return true;
  }
}
