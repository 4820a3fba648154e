/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["node", "node-addons"]}
 */
// useLiveQuery and friends under jsdom against the real reference server.
import { Component, StrictMode, Suspense, type ReactNode } from 'react';
import { render, renderHook, screen, waitFor } from '@testing-library/react';
import { KalamError, type KalamClient } from '@kalam/client';
import { useKalamClient, useLiveQuery, useLiveQuerySuspense } from '@kalam/react';
import { asAlice, eventually, startFixture, type Fixture } from '../../sdk-typescript/test/support/fixture.js';
import { ConnectionState, Providers, renders, silenceActWarnings, testClient, TodoItem, TodoList, TODOS_SQL, type Todo } from './support/setup.js';

let fixture: Fixture;
let client: ReturnType<typeof testClient>;
silenceActWarnings();

beforeAll(async () => {
  fixture = await startFixture('child-process');
});
afterAll(async () => {
  await fixture.close();
});
beforeEach(async () => {
  await asAlice(fixture, 'DELETE FROM app.todos WHERE id >= 0');
  renders.clear();
  client = testClient(fixture);
});
afterEach(async () => {
  await client.close();
});

const insert = (id: number, title: string): Promise<unknown> =>
  asAlice(fixture, 'INSERT INTO app.todos (id, title, done) VALUES ($1, $2, false)', [id, title]);
const items = (testId = 'list'): string[] => Array.from(screen.getByTestId(testId).querySelectorAll('li'), (li) => li.textContent ?? '');

test('a list follows insert, update and delete; unchanged rows are not re-rendered', async () => {
  await insert(1, 'milk');
  render(
    <Providers client={client}>
      <TodoList />
      <ConnectionState />
    </Providers>,
  );
  expect(['loading', 'pending']).toContain(screen.getByTestId('list').dataset.status);
  await waitFor(() => expect(screen.getByTestId('list').dataset.status).toBe('ready'));
  expect(items()).toEqual(['milk']);
  expect(screen.getByTestId('connection').textContent).toBe('ready');

  await insert(2, 'eggs');
  await waitFor(() => expect(items()).toEqual(['milk', 'eggs']));
  const milkRenders = renders.get('1');

  await asAlice(fixture, 'UPDATE app.todos SET done = true WHERE id = 2');
  await waitFor(() => expect(items()).toEqual(['milk', 'eggs ✓']));
  expect(renders.get('1')).toBe(milkRenders);

  await asAlice(fixture, 'DELETE FROM app.todos WHERE id = 1');
  await waitFor(() => expect(items()).toEqual(['eggs ✓']));
});

test('50 components with the same query share exactly one server subscription', async () => {
  await insert(1, 'milk');
  render(
    <Providers client={client}>
      {Array.from({ length: 50 }, (_, i) => (
        <TodoList key={i} testId={`list-${i}`} />
      ))}
    </Providers>,
  );
  await waitFor(() => expect(screen.getAllByText('milk')).toHaveLength(50));
  const live = await fixture.liveQueries();
  expect(live).toHaveLength(1);
  expect(live[0]?.query).toContain('app.todos');
  expect(client.listSubscriptions()).toHaveLength(1);
  expect(client.socketsOpened()).toBe(1);
});

test('StrictMode: one server subscription while mounted, none a linger after unmount', async () => {
  const view = render(
    <StrictMode>
      <Providers client={client}>
        <TodoList />
      </Providers>
    </StrictMode>,
  );
  await waitFor(() => expect(screen.getByTestId('list').dataset.status).toBe('ready'));
  expect(await fixture.liveQueries()).toHaveLength(1);
  expect(client.listSubscriptions()).toHaveLength(1);
  view.unmount();
  await eventually(async () => (await fixture.liveQueries()).length === 0, 5000, 'subscription closed after the linger');
  expect(client.listSubscriptions()).toEqual([]);
});

/** Records what every render of it saw, to check the first render. */
function RecordingList({ log }: { log: Array<{ status: string; titles: string[] }> }): ReactNode {
  const { rows, status } = useLiveQuery<Todo>(TODOS_SQL);
  log.push({ status, titles: rows.map((t) => t.title) });
  return <p data-testid="recording">{rows.length}</p>;
}

test('a component mounting a query that is already live renders its rows on the first render', async () => {
  await insert(1, 'milk');
  const tree = (children: ReactNode): ReactNode => (
    <StrictMode>
      <Providers client={client}>{children}</Providers>
    </StrictMode>
  );
  const view = render(tree(<TodoList />));
  await waitFor(() => expect(screen.getByTestId('list').dataset.status).toBe('ready'));

  const second: Array<{ status: string; titles: string[] }> = [];
  view.rerender(tree(<><TodoList /><RecordingList log={second} /></>));
  expect(second[0]).toEqual({ status: 'ready', titles: ['milk'] });
  expect(second.every((r) => r.status === 'ready')).toBe(true);

  // Also while the query only lingers: the first list unmounts, a new user arrives within the linger.
  view.rerender(tree(null));
  const third: Array<{ status: string; titles: string[] }> = [];
  view.rerender(tree(<RecordingList log={third} />));
  expect(third[0]).toEqual({ status: 'ready', titles: ['milk'] });
  expect(await fixture.liveQueries()).toHaveLength(1);
  expect(client.listSubscriptions()).toHaveLength(1);
  view.unmount();
  await eventually(async () => (await fixture.liveQueries()).length === 0, 5000, 'subscription closed after the linger');
});

test('params are compared by value; enabled: false subscribes nothing and reports idle', async () => {
  await insert(1, 'milk');
  const { result, rerender } = renderHook(
    ({ enabled }: { enabled: boolean }) => useLiveQuery<Todo>('SELECT * FROM app.todos WHERE done = $1', { params: [false], enabled }),
    { initialProps: { enabled: false }, wrapper: ({ children }) => <Providers client={client}>{children}</Providers> },
  );
  expect(result.current.status).toBe('idle');
  expect(client.state).toBe('idle');
  rerender({ enabled: true });
  await waitFor(() => expect(result.current.status).toBe('ready'));
  const first = result.current;
  rerender({ enabled: true }); // a new params array with the same values
  expect(result.current).toBe(first);
  expect(result.current.rows.map((r) => r.title)).toEqual(['milk']);
  expect(typeof result.current.lastSeqId).toBe('bigint');
  expect(client.listSubscriptions()).toHaveLength(1);
});

test('a failing query reports a typed error', async () => {
  const { result } = renderHook(() => useLiveQuery('SELECT * FROM app.nope'), {
    wrapper: ({ children }) => <Providers client={client}>{children}</Providers>,
  });
  await waitFor(() => expect(result.current.status).toBe('error'));
  expect(result.current.error).toBeInstanceOf(KalamError);
  expect(result.current.error?.code).toBe('NOT_FOUND');
});

test('useKalamClient outside a provider throws a KalamError', async () => {
  await quietly(async () => {
    expect(() => renderHook(() => useKalamClient())).toThrow(KalamError);
  });
});

/** Runs `fn` with console.error muted (React logs errors caught by boundaries). */
async function quietly(fn: () => Promise<void>): Promise<void> {
  const previous = console.error;
  console.error = () => {};
  try {
    await fn();
  } finally {
    console.error = previous;
  }
}

class Boundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: undefined };
  static getDerivedStateFromError(error: unknown): { error: unknown } {
    return { error };
  }
  override render(): ReactNode {
    const { error } = this.state;
    if (error !== undefined) return <p data-testid="boundary">{KalamError.is(error) ? error.code : String(error)}</p>;
    return this.props.children;
  }
}

function SuspenseList({ sql = TODOS_SQL }: { sql?: string }): ReactNode {
  const { rows, status } = useLiveQuerySuspense<Todo>(sql);
  return (
    <ul data-testid="suspense-list" data-status={status}>
      {rows.map((todo) => (
        <TodoItem key={String(todo.id)} todo={todo} />
      ))}
    </ul>
  );
}

test('useLiveQuerySuspense suspends until the snapshot is loaded, then stays live', async () => {
  await insert(1, 'milk');
  render(
    <StrictMode>
      <Providers client={client}>
        <Suspense fallback={<p data-testid="fallback">loading…</p>}>
          <SuspenseList />
        </Suspense>
      </Providers>
    </StrictMode>,
  );
  expect(screen.getByTestId('fallback')).toBeTruthy();
  await waitFor(() => expect(items('suspense-list')).toEqual(['milk']));
  expect(screen.getByTestId('suspense-list').dataset.status).toBe('ready');
  await insert(2, 'eggs');
  await waitFor(() => expect(items('suspense-list')).toEqual(['milk', 'eggs']));
  expect(await fixture.liveQueries()).toHaveLength(1);
});

test('useLiveQuerySuspense under StrictMode: one server subscription while mounted, none a linger after unmount', async () => {
  await insert(1, 'milk');
  const view = render(
    <StrictMode>
      <Providers client={client}>
        <Suspense fallback={<p data-testid="fallback">loading…</p>}>
          <SuspenseList />
          <SuspenseList />
        </Suspense>
      </Providers>
    </StrictMode>,
  );
  expect(screen.getByTestId('fallback')).toBeTruthy();
  expect(client.listSubscriptions()).toHaveLength(1); // both suspended renders wait on one load
  await waitFor(() => expect(screen.getAllByTestId('suspense-list').map((el) => el.dataset.status)).toEqual(['ready', 'ready']));
  expect(await fixture.liveQueries()).toHaveLength(1);
  expect(client.listSubscriptions()).toHaveLength(1);
  view.unmount();
  await eventually(async () => (await fixture.liveQueries()).length === 0, 5000, 'subscription closed after the linger');
  expect(client.listSubscriptions()).toEqual([]);
});

test('useLiveQuerySuspense unmounted while suspended leaks nothing: its load is released when it settles', async () => {
  const view = render(
    <StrictMode>
      <Providers client={client}>
        <Suspense fallback={<p data-testid="fallback">loading…</p>}>
          <SuspenseList />
        </Suspense>
      </Providers>
    </StrictMode>,
  );
  expect(screen.getByTestId('fallback')).toBeTruthy();
  expect(client.listSubscriptions()).toHaveLength(1);
  view.unmount();
  await eventually(() => client.listSubscriptions().length === 0, 5000, 'the abandoned load released after the linger');
  await eventually(async () => (await fixture.liveQueries()).length === 0, 5000, 'no server subscription left');
});

test('useLiveQuerySuspense does not suspend when the query is already loaded elsewhere', async () => {
  await insert(1, 'milk');
  const tree = (children: ReactNode): ReactNode => (
    <Providers client={client}>
      <TodoList />
      <Suspense fallback={<p data-testid="fallback">loading…</p>}>{children}</Suspense>
    </Providers>
  );
  const view = render(tree(null));
  await waitFor(() => expect(screen.getByTestId('list').dataset.status).toBe('ready'));
  view.rerender(tree(<SuspenseList />));
  expect(screen.queryByTestId('fallback')).toBeNull();
  expect(items('suspense-list')).toEqual(['milk']);
  expect(await fixture.liveQueries()).toHaveLength(1);
});

test('useLiveQuerySuspense throws the KalamError to the error boundary', async () => {
  await quietly(async () => {
    render(
      <Providers client={client}>
        <Boundary>
          <Suspense fallback={<p data-testid="fallback">loading…</p>}>
            <SuspenseList sql="SELECT * FROM app.nope" />
          </Suspense>
        </Boundary>
      </Providers>,
    );
    await waitFor(() => expect(screen.getByTestId('boundary').textContent).toBe('NOT_FOUND'));
  });
});

test('the hooks forward to one client: useKalamClient returns it', () => {
  const { result } = renderHook(() => useKalamClient(), { wrapper: ({ children }) => <Providers client={client}>{children}</Providers> });
  expect(result.current).toBe(client as KalamClient);
});
