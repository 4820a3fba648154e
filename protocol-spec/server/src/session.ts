/**
 * One WebSocket connection: its state (auth pending → ready → closed) and negotiation, frame
 * dispatch, limits, heartbeat, auth expiry, and its subscriptions. What an `authenticate` leads to
 * is decided in auth/handshake.ts; framing is in transport/frames.ts; sending and the outbound bound
 * in transport/outbound.ts. Knows nothing of `ws` (see transport/ws.ts).
 *
 * Every way a connection ends goes through {@link Session.close}, which removes its
 * subscriptions and their `system.live_queries` rows in the same tick.
 */
import { randomBytes } from 'node:crypto';
import {
  type ClientMessage,
  type Codec,
  CloseCode,
  type ErrorCodeValue,
  type Frame,
  KalamError,
  type ParamValue,
  type ProtocolOptions,
  type ServerMessage,
  type SubscribeMessage,
} from '@kalam/link/protocol';
import type { Principal } from './engine/types.js';
import { admit, authError, authSuccess, verifyToken } from './auth/handshake.js';
import { setDeadline, type CancelDeadline } from './auth/timers.js';
import { TokenBucket } from './live/rateLimit.js';
import type { EncodedChange, WireSeq } from './live/encode.js';
import { LiveSubscription, type SubscriptionHost } from './live/subscription.js';
import { decodeInbound } from './transport/frames.js';
import { Outbound, type SessionTransport } from './transport/outbound.js';
import { namedTarget } from './transport/salvage.js';
import type { Runtime } from './runtime.js';

export type { SessionTransport } from './transport/outbound.js';

/** Credentials that came with the upgrade request (`Authorization: Bearer`). */
export interface UpgradeAuth {
  readonly token: string;
  readonly protocol: ProtocolOptions;
}

type SessionState = 'auth_pending' | 'authenticating' | 'ready' | 'closed';

const JSON_NONE: ProtocolOptions = { serialization: 'json', compression: 'none' };
/** Shared by every subscription without params (one empty array, not one each). */
const NO_PARAMS: readonly ParamValue[] = Object.freeze([]);

/** One connection. */
export class Session implements SubscriptionHost {
  readonly id = randomBytes(16).toString('hex');
  readonly createdAt = Date.now();
  readonly subscriptions = new Map<string, LiveSubscription>();
  #state: SessionState = 'auth_pending';
  #principal: Principal | undefined;
  #protocol: ProtocolOptions = JSON_NONE;
  readonly #out: Outbound;
  #lastInboundAt = Date.now();
  #queued: Array<[Buffer, boolean]> = [];
  #authTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #expiry: CancelDeadline | undefined;
  readonly #bucket: TokenBucket;

  constructor(
    private readonly rt: Runtime,
    private readonly transport: SessionTransport,
    upgradeAuth?: UpgradeAuth,
  ) {
    const { limits } = rt.config;
    this.#out = new Outbound(transport, limits.maxOutboundBytes, rt.codecs.json, this, (line) => rt.config.log(`connection ${this.id}: ${line}`));
    this.#bucket = new TokenBucket(limits.messagesPerSecond, limits.messageBurst);
    this.#authTimer = setTimeout(() => this.#authTimedOut(), limits.authTimeoutMs);
    this.#armHeartbeat(limits.clientTimeoutMs);
    if (upgradeAuth !== undefined) void this.#authenticate(upgradeAuth.token, upgradeAuth.protocol);
  }

  // ---------------------------------------------------------------- SubscriptionHost
  get engine(): Runtime['engine'] {
    return this.rt.engine;
  }
  get compat(): boolean {
    return this.rt.config.compat;
  }
  get codec(): Codec {
    return this.#out.codec;
  }
  get maxBatchSize(): number {
    return this.rt.config.limits.maxBatchSize;
  }
  get defaultBatchSize(): number {
    return this.rt.config.limits.defaultBatchSize;
  }
  get closed(): boolean {
    return this.#state === 'closed';
  }
  acknowledged(sub: LiveSubscription): void {
    this.rt.subscriptionAcknowledged(this, sub);
  }
  goLive(sub: LiveSubscription): void {
    this.rt.registry.addRoute(sub);
  }
  get congested(): boolean {
    const limit = this.rt.config.limits.maxOutboundBytes / 2;
    if (this.transport.bufferedAmount <= limit) return false;
    // bytes merely corked in this tick are not congestion: write them out, then judge what the peer left
    this.transport.flush?.();
    return this.transport.bufferedAmount > limit;
  }
  async writable(): Promise<void> {
    const giveUpAt = Date.now() + this.rt.config.limits.clientTimeoutMs;
    while (this.#state !== 'closed' && this.congested) {
      // a reader that never drains is a slow consumer even when nothing more is being sent
      if (Date.now() >= giveUpAt) return this.close(CloseCode.SLOW_CONSUMER, 'outbound buffer not draining');
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  abort(sub: LiveSubscription, reason: string): void {
    this.rt.config.log(`connection ${this.id}: subscription ${sub.id}: ${reason}; closing so the client resumes`);
    this.close(CloseCode.INTERNAL_ERROR, 'subscription interrupted; resume');
  }

  /** Authenticated user name (`''` before authentication). */
  get user(): string {
    return this.#principal?.user ?? '';
  }
  get principal(): Principal | undefined {
    return this.#principal;
  }
  get serialization(): ProtocolOptions['serialization'] {
    return this.#protocol.serialization;
  }
  get remoteAddress(): string {
    return this.transport.remoteAddress;
  }
  /** Last inbound frame (any frame counts as life), ms since the epoch. */
  get lastActivityAt(): number {
    return this.#lastInboundAt;
  }

  // ---------------------------------------------------------------- inbound

  /** One frame from the socket. */
  onFrame(data: Buffer, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    this.#lastInboundAt = Date.now();
    const { limits } = this.rt.config;
    if (data.byteLength > limits.maxFrameBytes) {
      this.#error('MESSAGE_TOO_LARGE', `frame of ${data.byteLength} bytes exceeds the ${limits.maxFrameBytes}-byte limit`, undefined, 'protocol');
      return;
    }
    if (!this.#bucket.take()) {
      this.#error('RATE_LIMIT_EXCEEDED', 'too many messages; frame ignored', undefined, 'rate_limit');
      return;
    }
    if (this.#state === 'authenticating') {
      this.#queued.push([data, isBinary]);
      return;
    }
    this.#handle(data, isBinary);
  }

  #handle(data: Buffer, isBinary: boolean): void {
    let message;
    try {
      message = decodeInbound(data, isBinary, this.#protocol.serialization, this.rt.config.limits.maxFrameBytes);
    } catch (e) {
      const tooLarge = KalamError.is(e, 'MESSAGE_TOO_LARGE');
      // a malformed frame that still names its subscription fails that subscription (§5.1)
      const target = tooLarge || this.#state !== 'ready' ? undefined : namedTarget(data, isBinary, this.#protocol.serialization, this.rt.config.limits.maxFrameBytes);
      if (target?.type === 'subscribe') this.removeSubscription(target.subscriptionId); // as a failed replacement would
      this.#error(tooLarge ? 'MESSAGE_TOO_LARGE' : 'PROTOCOL', KalamError.is(e) ? e.message : 'malformed frame', target?.subscriptionId, 'protocol');
      return;
    }
    if (!isClientMessage(message)) {
      this.#error('PROTOCOL', `unexpected message type from a client: ${message.type}`, undefined, 'protocol');
      return;
    }
    this.#dispatch(message);
  }

  #dispatch(message: ClientMessage): void {
    if (message.type === 'authenticate') {
      void this.#authenticate(message.token, message.protocol ?? JSON_NONE);
      return;
    }
    if (this.#state !== 'ready') {
      this.#error('AUTH_REQUIRED', 'authenticate first', undefined, 'protocol');
      return;
    }
    switch (message.type) {
      case 'subscribe':
        this.#subscribe(message);
        return;
      case 'unsubscribe':
        this.removeSubscription(message.subscription_id);
        return;
      case 'next_batch': {
        const sub = this.subscriptions.get(message.subscription_id);
        if (sub === undefined) {
          this.#error('NOT_FOUND', `no subscription ${message.subscription_id}`, message.subscription_id);
          return;
        }
        sub.nextBatch().catch((e: unknown) => this.#subscriptionFailed(sub, e));
        return;
      }
      case 'ping':
        if (!this.compat) this.send({ type: 'pong' });
        return;
    }
  }

  // ---------------------------------------------------------------- auth

  async #authenticate(token: string, protocol: ProtocolOptions): Promise<void> {
    const inBand = this.#state === 'ready';
    if (!inBand) this.#state = 'authenticating';
    const verified = await verifyToken(this.rt, token);
    if (this.#state === 'closed') return;
    const outcome = verified.ok ? admit(this.rt, verified.claims, inBand ? this.#principal : undefined) : verified;
    if (!outcome.ok) {
      this.#sendJson(authError(this.compat, outcome.code, outcome.message));
      this.close(outcome.closeCode, outcome.closeReason ?? outcome.message);
      return;
    }
    if (inBand) {
      this.#armExpiry(outcome.expiresAtMs);
      // the session keeps the principal it authenticated with; only the deadline moves
      this.#sendJson(authSuccess(this.compat, this.#principal ?? outcome.principal, this.#protocol, this.id, outcome.expiresAtMs));
      return;
    }
    clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    this.#principal = outcome.principal;
    this.#protocol = { serialization: protocol.serialization, compression: protocol.compression };
    this.#out.codec = protocol.serialization === 'msgpack' ? this.rt.codecs.msgpack : this.rt.codecs.json;
    this.#out.compression = protocol.compression;
    this.#state = 'ready';
    this.rt.registry.addConnection(this);
    this.#armExpiry(outcome.expiresAtMs);
    this.#sendJson(authSuccess(this.compat, outcome.principal, this.#protocol, this.id, outcome.expiresAtMs));
    const queued = this.#queued;
    this.#queued = [];
    for (const [data, isBinary] of queued) {
      if (this.#state !== 'ready') break;
      this.#handle(data, isBinary);
    }
  }

  #authTimedOut(): void {
    this.#authTimer = undefined;
    if (this.#state !== 'auth_pending' && this.#state !== 'authenticating') return;
    const message = `Authentication timeout - no auth message received within ${Math.round(this.rt.config.limits.authTimeoutMs / 1000)} seconds`;
    this.#sendJson(authError(this.compat, 'AUTH_FAILED', message));
    this.close(this.compat ? CloseCode.POLICY_VIOLATION : CloseCode.AUTH_TIMEOUT, 'authentication timeout');
  }

  #armExpiry(expiresAtMs: number | undefined): void {
    this.#expiry?.();
    this.#expiry = expiresAtMs === undefined ? undefined : setDeadline(expiresAtMs, () => this.close(CloseCode.AUTH_EXPIRED, 'token expired'));
  }

  #armHeartbeat(delayMs: number): void {
    this.#heartbeatTimer = setTimeout(() => {
      const timeout = this.rt.config.limits.clientTimeoutMs;
      const idle = Date.now() - this.#lastInboundAt;
      if (idle >= timeout) this.close(CloseCode.HEARTBEAT_TIMEOUT, 'client timeout');
      else if (this.#state !== 'closed') this.#armHeartbeat(timeout - idle);
    }, delayMs);
    this.#heartbeatTimer.unref();
  }

  // ---------------------------------------------------------------- subscriptions

  #subscribe(message: SubscribeMessage): void {
    const { id, sql, params = NO_PARAMS, options } = message.subscription;
    if (id.trim() === '') {
      this.#error('INVALID_SUBSCRIPTION_ID', 'subscription id must not be blank', id);
      return;
    }
    this.removeSubscription(id);
    if (this.subscriptions.size >= this.rt.config.limits.maxSubscriptionsPerConnection) {
      this.#error('SUBSCRIPTION_LIMIT_EXCEEDED', `at most ${this.rt.config.limits.maxSubscriptionsPerConnection} subscriptions per connection`, id);
      return;
    }
    const principal = this.#principal;
    if (principal === undefined) return;
    let sub: LiveSubscription;
    try {
      const plan = this.rt.engine.planLiveQuery(sql, params, principal);
      sub = new LiveSubscription(this, id, sql, params, options, plan);
    } catch (e) {
      this.#error(errorCode(e), errorMessage(e), id);
      return;
    }
    this.subscriptions.set(id, sub);
    this.rt.registry.track(sub);
    sub.start().catch((e: unknown) => this.#subscriptionFailed(sub, e));
  }

  #subscriptionFailed(sub: LiveSubscription, e: unknown): void {
    if (sub.disposed || this.#state === 'closed') return;
    this.#error(errorCode(e), errorMessage(e), sub.id);
    this.removeSubscription(sub.id);
  }

  /** End one subscription (unsubscribe, replace, failure) and delete its row. Idempotent. */
  removeSubscription(id: string): LiveSubscription | undefined {
    const sub = this.subscriptions.get(id);
    if (sub === undefined) return undefined;
    this.subscriptions.delete(id);
    this.rt.subscriptionEnded(sub, this);
    return sub;
  }

  /** The server ends a subscription and tells the client (`unsubscribed`, extension). */
  endSubscription(id: string, reason: 'killed' | 'table_dropped' | 'unauthorized' | 'server_error'): boolean {
    const sub = this.removeSubscription(id);
    if (sub === undefined) return false;
    if (!this.compat) this.send({ type: 'unsubscribed', subscription_id: id, reason });
    return true;
  }

  // ---------------------------------------------------------------- outbound

  /** Send a message in the negotiated serialization. */
  send(message: ServerMessage): void {
    this.#out.send(message);
  }

  /** Send pre-encoded bytes (closes with 4006 instead when the outbound bound would be exceeded). */
  sendFrame(frame: Frame): void {
    this.#out.sendFrame(frame);
  }

  /** {@link SubscriptionHost.sendChange}: uncompressed msgpack changes leave as one prebuilt WebSocket frame each. */
  sendChange(encoded: EncodedChange, id: string, prevSeq: WireSeq | undefined): void {
    this.#out.sendChange(encoded, id, prevSeq);
  }

  /** auth_success / auth_error: always JSON text. */
  #sendJson(message: ServerMessage): void {
    this.#out.sendJson(message, this.rt.codecs.json);
  }

  #error(code: ErrorCodeValue, message: string, subscriptionId?: string, synthetic?: 'protocol' | 'rate_limit'): void {
    const sid = subscriptionId ?? (this.compat ? synthetic ?? 'protocol' : undefined);
    this.send({ type: 'error', code, message, ...(sid === undefined ? {} : { subscription_id: sid }) });
  }

  // ---------------------------------------------------------------- close

  /**
   * Close the connection: first remove every subscription and row (same tick), then close the
   * socket with `code`. Idempotent.
   */
  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#teardown();
    this.transport.close(code, reason);
  }

  /** A WebSocket ping or pong from the peer: proof of life. */
  onControlFrame(): void {
    this.#lastInboundAt = Date.now();
  }

  /** The socket closed (clean or abrupt). */
  onTransportClosed(): void {
    if (this.#state === 'closed') return;
    this.#teardown();
  }

  #teardown(): void {
    this.#state = 'closed';
    clearTimeout(this.#authTimer);
    clearTimeout(this.#heartbeatTimer);
    this.#expiry?.();
    this.#expiry = undefined;
    this.#queued = [];
    const subs = [...this.subscriptions.values()];
    this.subscriptions.clear();
    this.rt.sessionClosed(this, subs);
  }
}

function isClientMessage(m: { type: string }): m is ClientMessage {
  return m.type === 'authenticate' || m.type === 'subscribe' || m.type === 'unsubscribe' || m.type === 'next_batch' || m.type === 'ping';
}

function errorCode(e: unknown): ErrorCodeValue {
  if (KalamError.is(e)) return e.code as ErrorCodeValue;
  return 'SUBSCRIPTION_FAILED';
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
