import { useEffect, useRef, useState, type FormEvent } from 'react';
import { createClient, Auth, type KalamClient } from '@kalam/client';
import { KalamProvider } from '@kalam/react';
import { Board } from './Board.js';
import { ConnectionBadge } from './ConnectionBadge.js';
import { Inspector } from './Inspector.js';

const params = new URLSearchParams(window.location.search);

/** Logs in (demo users are printed by `npm start`), then shows the live board. */
export function App() {
  const [client, setClient] = useState<KalamClient | null>(null);
  const [user, setUser] = useState(params.get('user') ?? 'alice');
  const [password, setPassword] = useState(params.get('password') ?? '');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => () => void client?.close(), [client]);
  const autoSignIn = useRef(false);
  useEffect(() => {
    if (autoSignIn.current || !params.get('password')) return;
    autoSignIn.current = true;
    void signIn();
  }, []);

  async function signIn(event?: FormEvent) {
    event?.preventDefault();
    setError(null);
    const next = createClient({ url: window.location.origin, auth: Auth.basic(user, password) });
    try {
      await next.connect();
      setClient(next);
    } catch (e) {
      await next.close();
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  if (!client) {
    return (
      <main>
        <header><h1>Kalam Live — todo board</h1></header>
        <form className="card row" onSubmit={signIn} aria-label="sign in">
          <input type="text" aria-label="user" value={user} onChange={(e) => setUser(e.target.value)} />
          <input type="password" aria-label="password" placeholder="password" value={password} onChange={(e) => setPassword(e.target.value)} />
          <button type="submit">Sign in</button>
        </form>
        {error && <p className="error" role="alert">{error}</p>}
      </main>
    );
  }

  return (
    <KalamProvider client={client}>
      <main>
        <header>
          <h1>{user}'s todo board</h1>
          <span>
            <ConnectionBadge />{' '}
            <button className="secondary" onClick={() => setClient(null)}>Sign out</button>
          </span>
        </header>
        <Board />
        <Inspector client={client} />
      </main>
    </KalamProvider>
  );
}
