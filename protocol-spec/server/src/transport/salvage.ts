/**
 * The subscription a malformed client frame names (PROTOCOL.md §5.1): when the frame still reads
 * as a map with `type` `subscribe` / `next_batch` / `unsubscribe` and a non-blank string id, the
 * server's `PROTOCOL` error carries that id, so the client fails that one subscription instead of
 * waiting for its ack. Cold path: runs only after the real decoder refused the frame.
 */
import { gunzipSync } from 'node:zlib';
import type { Serialization } from '@kalam/link/protocol';

/** A readable subscription id in a frame that failed validation. */
export interface NamedTarget {
  readonly type: 'subscribe' | 'next_batch' | 'unsubscribe';
  readonly subscriptionId: string;
}

/** The subscription `data` names, or undefined when its envelope is unreadable or names none. */
export function namedTarget(data: Buffer, isBinary: boolean, serialization: Serialization, maxFrameBytes: number): NamedTarget | undefined {
  try {
    let payload = data;
    let json = !isBinary;
    if (isBinary && data[0] === 0x1f && data[1] === 0x8b) {
      payload = gunzipSync(data, { maxOutputLength: maxFrameBytes });
      json = serialization === 'json';
    }
    return targetOf(json ? JSON.parse(payload.toString('utf8')) : new MsgpackPeek(payload).value(2));
  } catch {
    return undefined;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function targetOf(value: unknown): NamedTarget | undefined {
  if (!isObj(value)) return undefined;
  const type = value['type'];
  let id: unknown;
  if (type === 'subscribe') id = isObj(value['subscription']) ? value['subscription']['id'] : undefined;
  else if (type === 'next_batch' || type === 'unsubscribe') id = value['subscription_id'];
  else return undefined;
  return typeof id === 'string' && id.trim() !== '' ? { type, subscriptionId: id } : undefined;
}

interface Head {
  readonly kind: 'map' | 'array' | 'str' | 'other';
  readonly n: number;
}

/**
 * Just enough msgpack to read maps with string keys and string values down to `depth` levels;
 * everything else is skipped without recursion (a deeply nested frame cannot exhaust the stack).
 * Throws RangeError on truncated or invalid input.
 */
class MsgpackPeek {
  #pos = 0;
  constructor(private readonly bytes: Buffer) {}

  value(depth: number): unknown {
    const h = this.#head();
    if (h.kind === 'str') return this.#str(h.n);
    if (h.kind !== 'map' || depth === 0) {
      this.#skipContents(h);
      return undefined;
    }
    const out: Obj = {};
    for (let i = 0; i < h.n; i++) {
      const k = this.#head();
      if (k.kind !== 'str') {
        this.#skipContents(k);
        this.#skip(1);
        continue;
      }
      const key = this.#str(k.n);
      out[key] = this.value(depth - 1);
    }
    return out;
  }

  #skip(count: number): void {
    for (let pending = count; pending > 0; pending--) {
      const h = this.#head();
      if (h.kind === 'map') pending += 2 * h.n;
      else if (h.kind === 'array') pending += h.n;
      else if (h.kind === 'str') this.#take(h.n);
    }
  }

  #skipContents(h: Head): void {
    if (h.kind === 'map') this.#skip(2 * h.n);
    else if (h.kind === 'array') this.#skip(h.n);
    else if (h.kind === 'str') this.#take(h.n);
  }

  #str(n: number): string {
    const start = this.#take(n);
    return this.bytes.toString('utf8', start, start + n);
  }

  /** Read one header; for scalars, bin and ext also consume the payload. */
  #head(): Head {
    const b = this.#uint(1);
    if (b <= 0x7f || b >= 0xe0) return { kind: 'other', n: 0 };
    if (b <= 0x8f) return { kind: 'map', n: b & 0x0f };
    if (b <= 0x9f) return { kind: 'array', n: b & 0x0f };
    if (b <= 0xbf) return { kind: 'str', n: b & 0x1f };
    switch (b) {
      case 0xc0: case 0xc2: case 0xc3: return { kind: 'other', n: 0 };
      case 0xc4: case 0xc5: case 0xc6: this.#take(this.#uint(1 << (b - 0xc4))); return { kind: 'other', n: 0 };
      case 0xc7: case 0xc8: case 0xc9: this.#take(this.#uint(1 << (b - 0xc7)) + 1); return { kind: 'other', n: 0 };
      case 0xca: this.#take(4); return { kind: 'other', n: 0 };
      case 0xcb: this.#take(8); return { kind: 'other', n: 0 };
      case 0xcc: case 0xcd: case 0xce: case 0xcf: this.#take(1 << (b - 0xcc)); return { kind: 'other', n: 0 };
      case 0xd0: case 0xd1: case 0xd2: case 0xd3: this.#take(1 << (b - 0xd0)); return { kind: 'other', n: 0 };
      case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: this.#take(1 + (1 << (b - 0xd4))); return { kind: 'other', n: 0 };
      case 0xd9: case 0xda: case 0xdb: return { kind: 'str', n: this.#uint(1 << (b - 0xd9)) };
      case 0xdc: case 0xdd: return { kind: 'array', n: this.#uint(2 << (b - 0xdc)) };
      case 0xde: case 0xdf: return { kind: 'map', n: this.#uint(2 << (b - 0xde)) };
      default: throw new RangeError(`invalid msgpack byte ${b}`);
    }
  }

  #uint(size: number): number {
    const start = this.#take(size);
    return this.bytes.readUIntBE(start, size);
  }

  /** Advance by n bytes; returns where they start. */
  #take(n: number): number {
    const start = this.#pos;
    if (start + n > this.bytes.length) throw new RangeError('truncated msgpack');
    this.#pos = start + n;
    return start;
  }
}
