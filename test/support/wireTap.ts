/**
 * A WebSocket constructor for kalam-link that wraps `ws` and checks, frame by frame, what the
 * server put on the wire: per socket and subscription, every `change.prev_seq` must equal the
 * previous event's SeqId (the snapshot point or resume point first) and `seq` must grow.
 */
import { WebSocket } from 'ws';
import { decodeServerFrame, describe, type ServerFrame } from './rawClient.js';

/** The WebSocket shape kalam-link uses (handler properties). */
interface LinkSocket {
  readonly readyState: number;
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

interface ChainState {
  /** SeqId the next change's `prev_seq` must equal; undefined while the snapshot is loading. */
  prev: bigint | undefined;
  /** A subscribe was sent and its ack has not arrived yet. */
  awaitingAck: boolean;
}

/** What the tap saw, across every socket it opened. */
export interface WireStats {
  sockets: number;
  frames: number;
  changes: number;
  /** Closes seen by the client, by code. */
  closes: Map<number, number>;
  /** Chain violations (must stay empty). */
  violations: string[];
  /** Changes that carried `prev_seq` (0 on servers without the extension). */
  chained: number;
}

function seqOf(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return undefined;
}

/** Create a tapped WebSocket constructor and the stats it fills. */
export function createWireTap(): { WebSocket: new (url: string) => LinkSocket; stats: WireStats } {
  const stats: WireStats = { sockets: 0, frames: 0, changes: 0, closes: new Map(), violations: [], chained: 0 };

  class TappedWebSocket implements LinkSocket {
    onopen: ((event: unknown) => void) | null = null;
    onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    onmessage: ((event: { readonly data: unknown }) => void) | null = null;
    private readonly inner: WebSocket;
    private readonly chains = new Map<string, ChainState>();
    /** Subscriptions whose last subscribe carried no options (live-only: no snapshot follows). */
    private readonly liveOnly = new Set<string>();
    private readonly socketNo: number;

    constructor(url: string) {
      this.inner = new WebSocket(url);
      this.socketNo = ++stats.sockets;
      this.inner.binaryType = 'nodebuffer';
      this.inner.onopen = (event) => this.onopen?.(event);
      this.inner.onerror = (event) => this.onerror?.(event);
      this.inner.onclose = (event) => {
        stats.closes.set(event.code, (stats.closes.get(event.code) ?? 0) + 1);
        this.onclose?.({ code: event.code, reason: event.reason });
      };
      this.inner.onmessage = (event) => {
        this.observe(event.data);
        this.onmessage?.({ data: event.data });
      };
    }

    get readyState(): number {
      return this.inner.readyState;
    }
    get binaryType(): string {
      return this.inner.binaryType;
    }
    set binaryType(value: string) {
      // The tap decodes Buffers; kalam-link accepts every binary shape (toBytes), so keep nodebuffer.
      void value;
    }
    send(data: string | Uint8Array): void {
      this.observeOutbound(data);
      this.inner.send(data);
    }
    close(code?: number, reason?: string): void {
      this.inner.close(code, reason);
    }

    private observeOutbound(data: string | Uint8Array): void {
      let frame: ServerFrame;
      try {
        frame = typeof data === 'string' ? decodeServerFrame(Buffer.from(data), false, 'json') : decodeServerFrame(Buffer.from(data), true, 'msgpack');
      } catch {
        return;
      }
      const subscription = frame.subscription as { id?: unknown; options?: unknown } | undefined;
      if (frame.type !== 'subscribe' || typeof subscription?.id !== 'string') return;
      if (subscription.options === undefined) this.liveOnly.add(subscription.id);
      else this.liveOnly.delete(subscription.id);
      // Frames of the previous registration may still arrive until the new ack: not checked.
      this.chains.set(subscription.id, { prev: undefined, awaitingAck: true });
    }

    private observe(data: unknown): void {
      stats.frames++;
      let frame: ServerFrame;
      try {
        frame = typeof data === 'string' ? decodeServerFrame(Buffer.from(data), false, 'json') : decodeServerFrame(data as Buffer, true, 'msgpack');
      } catch (e) {
        stats.violations.push(`socket ${this.socketNo}: undecodable frame (${e instanceof Error ? e.message : String(e)})`);
        return;
      }
      const id = typeof frame.subscription_id === 'string' ? frame.subscription_id : undefined;
      if (id === undefined) return;
      const control = frame.batch_control as { has_more?: boolean; last_seq_id?: unknown } | undefined;
      switch (frame.type) {
        case 'subscription_ack': {
          // Resumed, or live-only (no options): changes chain from the ack's point. Otherwise the final batch sets it.
          const fromAck = frame.resumed === true || this.liveOnly.has(id);
          this.chains.set(id, { prev: fromAck ? seqOf(control?.last_seq_id) : undefined, awaitingAck: false });
          return;
        }
        case 'initial_data_batch':
          if (control?.has_more === false && this.chains.get(id)?.awaitingAck !== true) this.chains.set(id, { prev: seqOf(control.last_seq_id), awaitingAck: false });
          return;
        case 'change': {
          stats.changes++;
          const state = this.chains.get(id);
          const seq = seqOf(frame.seq);
          const prevSeq = seqOf(frame.prev_seq);
          if (prevSeq === undefined || state?.awaitingAck === true) return;
          stats.chained++;
          if (state === undefined || state.prev === undefined) {
            stats.violations.push(`socket ${this.socketNo} sub ${id}: change before its ack/final snapshot batch: ${describe([frame])}`);
            if (seq !== undefined) this.chains.set(id, { prev: seq, awaitingAck: false });
            return;
          }
          if (prevSeq !== state.prev) stats.violations.push(`socket ${this.socketNo} sub ${id}: prev_seq ${prevSeq} ≠ previous event ${state.prev}`);
          if (seq === undefined || seq <= state.prev) stats.violations.push(`socket ${this.socketNo} sub ${id}: seq ${String(seq)} not after ${state.prev}`);
          state.prev = seq ?? state.prev;
          return;
        }
        default:
          return;
      }
    }
  }

  return { WebSocket: TappedWebSocket, stats };
}
