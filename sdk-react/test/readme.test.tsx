/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["node", "node-addons"]}
 */
// The README's example is code: extract its ```tsx block, load it as a module, render it against
// the reference server and click through it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReactElement } from 'react';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { ClientOptions, KalamClient } from '@kalam/client';
import { nodeFetch } from '../../sdk-typescript/test/support/nodeFetch.js';
import { asAlice, startFixture, USER, USER_PASSWORD, type Fixture } from '../../sdk-typescript/test/support/fixture.js';
import { readmeBlock } from '../../sdk-typescript/test/support/readme.js';
import { silenceActWarnings } from './support/setup.js';

type CreateApp = (url: string, user: string, password: string, options?: Partial<ClientOptions>) => { client: KalamClient; app: ReactElement };

let fixture: Fixture;
let dir: string;
silenceActWarnings();

beforeAll(async () => {
  fixture = await startFixture('child-process');
  // Inside the package so that `react` resolves from the workspace.
  dir = await mkdtemp(path.join(__dirname, '.readme-'));
});
afterAll(async () => {
  await fixture.close();
  await rm(dir, { recursive: true, force: true });
});

test('the README example renders live data, shares queries and reacts to writes', async () => {
  await asAlice(fixture, "INSERT INTO app.todos (id, title, done) VALUES (1, 'milk', false), (2, 'eggs', true)");
  const file = path.join(dir, 'example.tsx');
  await writeFile(file, await readmeBlock(path.join(__dirname, '..', 'README.md'), '## Example', 'tsx'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createApp } = require(file) as { createApp: CreateApp };

  // jsdom has no fetch; its own WebSocket works (see support/setup.tsx).
  const { client, app } = createApp(fixture.url, USER, USER_PASSWORD, {
    fetch: nodeFetch,
    WebSocket: globalThis.WebSocket as unknown as NonNullable<ClientOptions['WebSocket']>,
  });
  const view = render(app);
  try {
    expect(screen.getByText('counting…')).toBeTruthy();
    await waitFor(() => expect(screen.getByText('1 done')).toBeTruthy());
    await waitFor(() => expect(screen.getByRole('region', { name: 'open todos' }).textContent).toContain('milk'));
    expect(screen.getByText('ready')).toBeTruthy();
    expect(await fixture.liveQueries()).toHaveLength(2);

    fireEvent.click(screen.getByText('add'));
    await waitFor(() => expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['milk', 'new']));
  } finally {
    view.unmount();
    await client.close();
  }
});
