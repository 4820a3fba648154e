import { createContext, useContext, type ReactNode } from 'react';
import { KalamError, type KalamClient } from '@kalam/client';

const KalamContext = createContext<KalamClient | null>(null);

/**
 * Props of {@link KalamProvider}.
 *
 * @example
 * ```tsx
 * const props: KalamProviderProps = { client, children: <App /> };
 * ```
 */
export interface KalamProviderProps {
  /** The client every hook below uses (create it once, outside render). */
  readonly client: KalamClient;
  /** The part of the app whose hooks use `client`. */
  readonly children?: ReactNode;
}

/**
 * Makes a `KalamClient` available to the hooks below it. Creating the provider opens no
 * socket: the client connects on the first live query.
 *
 * @example
 * ```tsx
 * const client = createClient({ url: 'http://localhost:8080', auth: Auth.basic('alice', 'secret') });
 * root.render(<KalamProvider client={client}><App /></KalamProvider>);
 * ```
 */
export function KalamProvider({ client, children }: KalamProviderProps): ReactNode {
  return <KalamContext.Provider value={client}>{children}</KalamContext.Provider>;
}

/**
 * The client of the nearest {@link KalamProvider}. Throws `KalamError('INVALID_ARGUMENT')` outside one.
 *
 * @example
 * ```tsx
 * const client = useKalamClient();
 * const add = () => client.query('INSERT INTO app.todos (id, title) VALUES ($1, $2)', [id, title]);
 * ```
 */
export function useKalamClient(): KalamClient {
  const client = useContext(KalamContext);
  if (client === null) throw new KalamError('INVALID_ARGUMENT', 'useKalamClient() needs a <KalamProvider client={...}> above it');
  return client;
}
