import { useEffect, useRef, useState, type FormEvent } from 'react';
import { createClient, Auth, type Inspector as InspectorStore, type KalamClient } from '@kalam/client';
import { createInspector } from '@kalam/link/inspect';
import { KalamProvider } from '@kalam/react';
import { Board } from './Board.js';
import { ConnectionBadge, SignedOutBadge } from './ConnectionBadge.js';
import { Inspector } from './Inspector.js';

const params = new URLSearchParams(window.location.search);

/** A signed-in client and the inspector watching it from its first frame. */
interface Session {
  readonly client: KalamClient;
  readonly inspector: InspectorStore;
}

/** Signs in (demo users are printed by `npm start`), then shows the live board. */
export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [user, setUser] = useState(params.get('user') ?? 'alice');
  const [password, setPassword] = useState(params.get('password') ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Signing out (or a new sign-in) closes the previous client: its socket and subscriptions.
  useEffect(() => () => {
    session?.inspector.dispose();
    void session?.client.close();
  }, [session]);
  // `?user=…&password=…` signs in at once (handy for two windows and for the browser tests).
  const autoSignIn = useRef(false);
  useEffect(() => {
    if (autoSignIn.current || !params.get('password')) return;
    autoSignIn.current = true;
    void signIn();
  }, []);

  async function signIn(event?: FormEvent) {
    event?.preventDefault();
    setError(null);
    setBusy(true);
    const next = createClient({ url: window.location.origin, auth: Auth.basic(user, password) });
    const inspector = createInspector(next.link, { maxFrames: 50, maxTransitions: 50 });
    try {
      await next.connect();
      setSession({ client: next, inspector });
    } catch (e) {
      inspector.dispose();
      await next.close();
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  if (!session) {
    return (
      <main>
        <header>
          <h1>Kalam Live — todo board</h1>
          <SignedOutBadge connecting={busy} />
        </header>
        <form className="card row" onSubmit={signIn} aria-label="sign in">
          <input type="text" aria-label="user" autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} />
          <input type="password" aria-label="password" autoComplete="current-password" placeholder="password" value={password} onChange={(e) => setPassword(e.target.value)} />
          <button type="submit" disabled={busy}>Sign in</button>
        </form>
        {error && <p className="error" role="alert">{error}</p>}
        <p className="muted">Demo users: alice / alice-password, bob / bob-password. Each user sees only their own todos.</p>
      </main>
    );
  }

  return (
    <KalamProvider client={session.client}>
      <main>
        <header>
          <h1>{user}'s todo board</h1>
          <span className="row">
            <ConnectionBadge />
            <button className="secondary" onClick={() => setSession(null)}>Sign out</button>
          </span>
        </header>
        <Board />
        <Inspector store={session.inspector} />
      </main>
    </KalamProvider>
  );
}
