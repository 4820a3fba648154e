// Server rendering (node environment, no window): hooks return `loading`, and nothing connects.
import { Suspense, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { useLiveQuerySuspense } from '@kalam/react';
import { startFixture, type Fixture } from '../../sdk-typescript/test/support/fixture.js';
import { ConnectionState, Providers, testClient, TodoList, TODOS_SQL } from './support/setup.js';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.close();
});

function SuspenseCount(): ReactNode {
  const { rows } = useLiveQuerySuspense(TODOS_SQL);
  return <p>{rows.length} rows</p>;
}

test('renderToString returns loading and opens no socket', async () => {
  expect(typeof window).toBe('undefined');
  const client = testClient(fixture);
  try {
    const html = renderToString(
      <Providers client={client}>
        <ConnectionState />
        <TodoList />
        <Suspense fallback={<p>suspended</p>}>
          <SuspenseCount />
        </Suspense>
      </Providers>,
    );
    expect(html).toContain('data-status="loading"');
    expect(html).toContain('>idle</span>');
    expect(html).toContain('suspended');
    expect(html).not.toContain('rows</p>');
    expect(client.socketsOpened()).toBe(0);
    expect(client.state).toBe('idle');
    expect(client.listSubscriptions()).toEqual([]);
    expect(await fixture.connections()).toEqual([]);
  } finally {
    await client.close();
  }
});
