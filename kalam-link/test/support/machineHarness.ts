/**
 * Runs the connection machine alone with a scripted socket, a manual clock and a controllable
 * token source, and drives it into any state.
 */
import { createActor, type Actor } from 'xstate';
import type { TokenInfo } from '../../src/auth.js';
import { resolveReconnectOptions } from '../../src/connection/backoff.js';
import { connectionMachine } from '../../src/connection/connectionMachine.js';
import type { ConnectionDeps, Transport } from '../../src/connection/deps.js';
import { KalamError } from '../../src/errors.js';
import type { ServerMessage } from '../../src/protocol/messages.js';
import { flush, ManualClock } from './manualClock.js';
import { SocketHub, type FakeWebSocket } from './fakeSocket.js';

interface Deferred {
  readonly forceRefresh: boolean;
  resolve(info: TokenInfo): void;
  reject(error: unknown): void;
}

export interface HarnessOptions {
  readonly refreshable?: boolean;
  /** Tokens are handed out immediately (default) or only when the test resolves them. */
  readonly manualTokens?: boolean;
  readonly random?: () => number;
}

export class MachineHarness {
  readonly clock = new ManualClock();
  readonly hub = new SocketHub();
  readonly tokenRequests: Deferred[] = [];
  readonly messages: ServerMessage[] = [];
  readonly errors: KalamError[] = [];
  transport: Transport | undefined;
  readonly actor: Actor<typeof connectionMachine>;
  private tokenCounter = 0;

  constructor(private readonly options: HarnessOptions = {}) {
    const deps: ConnectionDeps = {
      wsUrl: 'ws://test/v1/ws',
      WebSocket: this.hub.WebSocket,
      serialization: 'msgpack',
      timers: this.clock,
      reconnect: resolveReconnectOptions({ random: options.random ?? (() => 0.5) }),
      pingIntervalMs: 10_000,
      pongTimeoutMs: 5_000,
      connectTimeoutMs: 10_000,
      authTimeoutMs: 10_000,
      maxFrameBytes: 1 << 20,
      refreshable: options.refreshable ?? true,
      getToken: (forceRefresh) =>
        new Promise<TokenInfo>((resolve, reject) => {
          if (options.manualTokens === true) this.tokenRequests.push({ forceRefresh, resolve, reject });
          else {
            this.tokenRequests.push({ forceRefresh, resolve: () => undefined, reject: () => undefined });
            resolve({ token: `token-${++this.tokenCounter}` });
          }
        }),
      onMessage: (message) => this.messages.push(message),
      onTransport: (transport) => {
        this.transport = transport;
      },
      onError: (error) => this.errors.push(error),
      onFrame: undefined,
      trackClosing: () => undefined,
    };
    this.actor = createActor(connectionMachine, { input: { deps }, clock: this.clock });
    this.actor.start();
  }

  get socket(): FakeWebSocket {
    return this.hub.last;
  }

  get context() {
    return this.actor.getSnapshot().context;
  }

  matches(path: string): boolean {
    return this.actor.getSnapshot().matches(toStateValue(path) as never);
  }

  /** Dotted leaf paths of the current state value. */
  paths(): string[] {
    const out: string[] = [];
    const walk = (value: unknown, prefix: string): void => {
      if (typeof value === 'string') out.push(prefix === '' ? value : `${prefix}.${value}`);
      else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, prefix === '' ? k : `${prefix}.${k}`);
    };
    walk(this.actor.getSnapshot().value, '');
    return out;
  }

  send(event: Parameters<Actor<typeof connectionMachine>['send']>[0]): void {
    this.actor.send(event);
  }

  async resolveToken(info: TokenInfo = { token: `manual-${++this.tokenCounter}` }): Promise<void> {
    const request = this.tokenRequests.shift();
    if (request === undefined) throw new Error('no token request pending');
    request.resolve(info);
    await flush();
  }

  async rejectToken(error: unknown): Promise<void> {
    const request = this.tokenRequests.shift();
    if (request === undefined) throw new Error('no token request pending');
    request.reject(error);
    await flush();
  }

  // ---------------------------------------------------------------- reach states

  async toConnecting(): Promise<void> {
    this.send({ type: 'CONNECT' });
    await flush();
  }

  async toAuthenticating(): Promise<void> {
    await this.toConnecting();
    if (this.options.manualTokens === true) await this.resolveToken();
    this.socket.open();
    await flush();
  }

  async toReady(auth: Partial<{ expires_at: number }> = {}): Promise<void> {
    await this.toAuthenticating();
    this.socket.authOk(auth);
    await flush();
  }

  async toReconnecting(): Promise<void> {
    await this.toReady();
    this.socket.serverClose(1006);
    await flush();
  }

  async toClosed(): Promise<void> {
    await this.toReady();
    this.send({ type: 'DISCONNECT' });
    await flush();
  }

  async toTerminal(code: 4004 | 4003 | 4001): Promise<void> {
    await this.toReady();
    if (code === 4001) {
      this.socket.serverClose(4001);
      await flush();
      if (this.options.manualTokens === true) await this.resolveToken();
      this.socket.open();
      await flush();
      this.socket.serverClose(4001);
    } else this.socket.serverClose(code);
    await flush();
  }

  stop(): void {
    this.actor.stop();
  }
}

export function credentialError(): KalamError {
  return new KalamError('AUTH_FAILED', 'bad password');
}

function toStateValue(path: string): unknown {
  const parts = path.split('.');
  let value: unknown = parts[parts.length - 1];
  for (let i = parts.length - 2; i >= 0; i--) value = { [parts[i] as string]: value };
  return value;
}
