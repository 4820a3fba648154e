/**
 * Every subscription of a link, multiplexed over its one socket. The per-frame hot path is
 * `handleMessage`: one Map lookup by subscription id, then the subscription's own O(1) checks.
 */
import type { Transport } from '../connection/deps.js';
import { asKalamError, KalamError } from '../errors.js';
import type { ServerMessage } from '../protocol/messages.js';
import { Subscription, type SubscriptionOwner } from './subscription.js';
import type { SubscribeOptions, SubscriptionEvent, SubscriptionHandle, SubscriptionInfo } from './types.js';

/** What the registry needs from the link. */
export interface RegistryHost {
  /** Start connecting when nothing is (lazy connect). */
  ensureConnected(): void;
  /** Errors that belong to no subscription, and listener exceptions. */
  reportError(error: KalamError): void;
}

/**
 * The subscriptions of one link (for other SDKs' authors: {@link KalamLink} drives it from its
 * connection machine).
 */
export class SubscriptionRegistry implements SubscriptionOwner {
  readonly #subscriptions = new Map<string, Subscription>();
  #nextId = 0;
  #closed = false;
  /** The authenticated transport while the connection is `ready`, else undefined. */
  transport: Transport | undefined;

  readonly #host: RegistryHost;

  /**
   * An empty registry; it sends nothing until {@link SubscriptionRegistry.connectionReady}.
   *
   * @param host - lazy connect and error reporting
   */
  constructor(host: RegistryHost) {
    this.#host = host;
  }

  /** Number of registered subscriptions. */
  get size(): number {
    return this.#subscriptions.size;
  }

  /**
   * Register a subscription. Sent at once when ready, otherwise queued until the connection is
   * (and a connection is started if none is).
   */
  subscribe(sql: string, options: SubscribeOptions = {}, listener?: (event: SubscriptionEvent) => void): SubscriptionHandle {
    if (this.#closed) throw new KalamError('CLOSED', 'the link is closed');
    if (typeof sql !== 'string' || sql.trim().length === 0) throw new KalamError('INVALID_ARGUMENT', 'sql must be a non-empty string');
    const id = options.id ?? this.#generateId();
    if (id.trim().length === 0) throw new KalamError('INVALID_SUBSCRIPTION_ID', 'subscription id must not be blank');
    if (this.#subscriptions.has(id)) throw new KalamError('DUPLICATE_SUBSCRIPTION_ID', `subscription id already in use: ${id}`, { subscriptionId: id });
    const subscription = new Subscription(this, id, sql, options);
    if (listener !== undefined) subscription.onEvent(listener);
    this.#subscriptions.set(id, subscription);
    const transport = this.transport;
    if (transport !== undefined) subscription.sendSubscribe(transport);
    else this.#host.ensureConnected();
    return subscription;
  }

  /** Public view of every registered subscription. */
  list(): SubscriptionInfo[] {
    const out: SubscriptionInfo[] = [];
    for (const subscription of this.#subscriptions.values()) out.push(subscription.info());
    return out;
  }

  /** The handle registered under `id`, if any. */
  get(id: string): SubscriptionHandle | undefined {
    return this.#subscriptions.get(id);
  }

  /** Hot path: route one decoded server message. */
  handleMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'change':
        this.#subscriptions.get(message.subscription_id)?.handleChange(message);
        return;
      case 'initial_data_batch':
        this.#subscriptions.get(message.subscription_id)?.handleBatch(message);
        return;
      case 'subscription_ack':
        this.#subscriptions.get(message.subscription_id)?.handleAck(message);
        return;
      case 'unsubscribed':
        this.#subscriptions.get(message.subscription_id)?.handleUnsubscribed(message);
        return;
      case 'error': {
        const subscription = message.subscription_id === undefined ? undefined : this.#subscriptions.get(message.subscription_id);
        if (subscription !== undefined) subscription.handleError(message);
        else this.#host.reportError(new KalamError(message.code, message.message, message.subscription_id === undefined ? {} : { subscriptionId: message.subscription_id }));
        return;
      }
      default:
        return;
    }
  }

  /** The connection became ready: (re-)send every subscription at once, pipelined. */
  connectionReady(transport: Transport): void {
    this.transport = transport;
    for (const subscription of [...this.#subscriptions.values()]) subscription.sendSubscribe(transport);
  }

  /** The connection is down (or disconnected): keep every subscription for the next ready. */
  connectionLost(): void {
    this.transport = undefined;
    for (const subscription of this.#subscriptions.values()) subscription.connectionLost();
  }

  /** The connection stopped for good (killed, revoked, auth failed): every subscription ends with `error`. */
  failAll(error: KalamError): void {
    this.transport = undefined;
    const all = [...this.#subscriptions.values()];
    this.#subscriptions.clear();
    for (const subscription of all) subscription.fail(new KalamError(error.code, error.message, { subscriptionId: subscription.id, ...(error.closeCode === undefined ? {} : { closeCode: error.closeCode }), cause: error }));
  }

  /** The link is closing: end every subscription (status `closed`) and refuse new ones. */
  closeAll(): void {
    this.#closed = true;
    this.transport = undefined;
    const all = [...this.#subscriptions.values()];
    this.#subscriptions.clear();
    for (const subscription of all) subscription.close();
  }

  /** @internal A subscription ended: forget it (SubscriptionOwner). */
  remove(subscription: Subscription): void {
    if (this.#subscriptions.get(subscription.id) === subscription) this.#subscriptions.delete(subscription.id);
  }

  /** @internal A subscription's listener threw (SubscriptionOwner). */
  reportListenerError(error: unknown, subscription: Subscription): void {
    this.#host.reportError(asKalamError(error, 'INTERNAL', `a listener of subscription ${subscription.id} threw`, { subscriptionId: subscription.id }));
  }

  #generateId(): string {
    let id: string;
    do id = `sub-${++this.#nextId}`;
    while (this.#subscriptions.has(id));
    return id;
  }
}
