/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["node", "node-addons"]}
 */
// The server goes away and comes back on the same port and data dir: the UI shows `reconnecting`,
// then recovers, resuming the live list without duplicate rows.
import { render, screen, waitFor } from '@testing-library/react';
import { asAlice, startFixture, type Fixture } from '../../sdk-typescript/test/support/fixture.js';
import { ConnectionState, Providers, silenceActWarnings, testClient, TodoList } from './support/setup.js';

let fixture: Fixture;
let client: ReturnType<typeof testClient>;
silenceActWarnings();

beforeAll(async () => {
  fixture = await startFixture('child-process');
  client = testClient(fixture);
});
afterAll(async () => {
  await client.close();
  await fixture.close();
});

const insert = (id: number, title: string): Promise<unknown> =>
  asAlice(fixture, 'INSERT INTO app.todos (id, title, done) VALUES ($1, $2, false)', [id, title]);
const items = (): string[] => Array.from(screen.getByTestId('list').querySelectorAll('li'), (li) => li.textContent ?? '');

test('connection state shows reconnecting while the server is down and the list recovers without duplicates', async () => {
  await insert(1, 'milk');
  await insert(2, 'eggs');
  render(
    <Providers client={client}>
      <ConnectionState />
      <TodoList />
    </Providers>,
  );
  await waitFor(() => expect(items()).toEqual(['milk', 'eggs']));
  expect(screen.getByTestId('connection').textContent).toBe('ready');
  const connectionsBefore = client.getSnapshot().reconnects;

  await fixture.stop();
  await waitFor(() => expect(screen.getByTestId('connection').textContent).toBe('reconnecting'));
  expect(screen.getByTestId('list').dataset.status).toBe('resuming');
  expect(items()).toEqual(['milk', 'eggs']); // the rows stay on screen during the outage

  await fixture.restart();
  // Written as soon as the server is back, usually before the client has resumed: the resume
  // replays them from the change log, after which live events continue.
  await insert(3, 'bread');
  await asAlice(fixture, 'UPDATE app.todos SET title = $1 WHERE id = 1', ['oat milk']);
  await waitFor(() => expect(screen.getByTestId('connection').textContent).toBe('ready'), { timeout: 5000 });
  await waitFor(() => expect(screen.getByTestId('list').dataset.status).toBe('ready'));
  expect(client.getSnapshot().reconnects).toBeGreaterThan(connectionsBefore);

  await asAlice(fixture, 'DELETE FROM app.todos WHERE id = 2');
  await insert(4, 'jam');
  await waitFor(() => expect(items()).toEqual(['oat milk', 'bread', 'jam']));
  const [server] = await asAlice(fixture, 'SELECT id, title FROM app.todos');
  expect(server?.rows.map((r) => r.title).sort()).toEqual([...items()].sort());
  expect(new Set(items()).size).toBe(items().length);
  expect(await fixture.liveQueries()).toHaveLength(1);
});
