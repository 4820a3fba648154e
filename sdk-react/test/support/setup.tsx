/**
 * Shared pieces of the React tests: a client wired for jsdom (Node's `ws` and an http fetch, since
 * jsdom has neither a usable WebSocket for our server nor fetch) and small components.
 */
import { memo, type ReactNode } from 'react';
import WebSocket from 'ws';
import { Auth, createClient, type ClientOptions, type KalamClient, type WebSocketConstructor } from '@kalam/client';
import { KalamProvider, useConnectionState, useLiveQuery } from '@kalam/react';
import { nodeFetch } from '../../../sdk-typescript/test/support/nodeFetch.js';
import { USER, USER_PASSWORD, type Fixture } from '../../../sdk-typescript/test/support/fixture.js';

export interface Todo {
  readonly id: bigint;
  readonly title: string;
  readonly done: boolean;
}

export const TODOS_SQL = 'SELECT * FROM app.todos';

/** A client for `alice` that counts the sockets it opens. */
export function testClient(fixture: Fixture, extra: Partial<ClientOptions> = {}): KalamClient & { socketsOpened(): number } {
  let opened = 0;
  const Base = (globalThis.WebSocket ?? WebSocket) as unknown as typeof WebSocket;
  class CountingWebSocket extends Base {
    constructor(url: string) {
      super(url);
      opened++;
    }
  }
  const client = createClient({
    url: fixture.url,
    auth: Auth.basic(USER, USER_PASSWORD),
    WebSocket: CountingWebSocket as unknown as WebSocketConstructor,
    fetch: nodeFetch,
    reconnect: { baseDelayMs: 20, maxDelayMs: 150 },
    ...extra,
  });
  return Object.assign(client, { socketsOpened: () => opened });
}

/** Render counts per todo id, to prove memoised rows are not re-rendered. */
export const renders = new Map<string, number>();

export const TodoItem = memo(function TodoItem({ todo }: { todo: Todo }) {
  renders.set(String(todo.id), (renders.get(String(todo.id)) ?? 0) + 1);
  return (
    <li data-testid={`todo-${todo.id}`}>
      {todo.title}
      {todo.done ? ' ✓' : ''}
    </li>
  );
});

export function TodoList({ testId = 'list' }: { testId?: string }): ReactNode {
  const { rows, status, error } = useLiveQuery<Todo>(TODOS_SQL);
  return (
    <section data-testid={testId} data-status={status}>
      {error && <p role="alert">{error.code}</p>}
      <ul>
        {rows.map((todo) => (
          <TodoItem key={String(todo.id)} todo={todo} />
        ))}
      </ul>
    </section>
  );
}

export function ConnectionState(): ReactNode {
  const { state } = useConnectionState();
  return <span data-testid="connection">{state}</span>;
}

export function Providers({ client, children }: { client: KalamClient; children: ReactNode }): ReactNode {
  return <KalamProvider client={client}>{children}</KalamProvider>;
}

/**
 * Server-driven updates arrive from a real socket, outside any `act()` scope, and the tests wait
 * for them with `waitFor`; React's "not wrapped in act(...)" warning is expected noise here.
 * Every other console.error still prints.
 */
export function silenceActWarnings(): void {
  let spy: jest.SpyInstance | undefined;
  beforeAll(() => {
    const original = console.error.bind(console);
    spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('not wrapped in act(')) return;
      original(...args);
    });
  });
  afterAll(() => spy?.mockRestore());
}
