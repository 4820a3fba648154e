import { memo, useCallback, useMemo, useState, type FormEvent } from 'react';
import type { ParamValue } from '@kalam/client';
import { useKalamClient, useLiveQuery } from '@kalam/react';

/** A random row id (`crypto.randomUUID` needs a secure context; plain-http LAN addresses are not one). */
function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
}

interface Todo {
  readonly id: string;
  readonly title: string;
  readonly done: boolean;
  /** ms since epoch; BIGINT columns arrive as `bigint`. */
  readonly created_at: bigint;
}

/** Oldest first (live rows come in change order; a todo list should not reshuffle on reload). */
const byCreation = (a: Todo, b: Todo) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The live list: every insert, edit and delete shows in every window of the same user at once. */
export function Board() {
  const client = useKalamClient();
  const { rows, status, error } = useLiveQuery<Todo>('SELECT id, title, done, created_at FROM demo.todos');
  const todos = useMemo(() => [...rows].sort(byCreation), [rows]);
  const [title, setTitle] = useState('');
  const [failure, setFailure] = useState<string | null>(null);

  // Stable, so memoised rows re-render only when their own row object changes.
  const run = useCallback(
    (sql: string, params: ParamValue[]) =>
      client.query(sql, params).then(
        () => setFailure(null),
        (e: unknown) => setFailure(e instanceof Error ? e.message : String(e)),
      ),
    [client],
  );

  async function add(event: FormEvent) {
    event.preventDefault();
    const text = title.trim();
    if (!text) return;
    setTitle('');
    await run('INSERT INTO demo.todos (id, title, done, created_at) VALUES ($1, $2, false, $3)', [newId(), text, Date.now()]);
  }

  return (
    <section className="card">
      <form className="row" onSubmit={add} aria-label="add todo">
        <input type="text" aria-label="new todo" placeholder="What needs doing?" value={title} onChange={(e) => setTitle(e.target.value)} />
        <button type="submit">Add</button>
      </form>
      {error && <p className="error" role="alert">{error.code}: {error.message}</p>}
      {failure && <p className="error" role="alert">{failure}</p>}
      {status === 'loading' || status === 'pending' ? (
        <p className="muted">loading…</p>
      ) : (
        <ul className="todos" data-testid="todos">
          {todos.map((todo) => <TodoItem key={todo.id} todo={todo} run={run} />)}
        </ul>
      )}
      <p className="muted" data-testid="row-count">{rows.length} rows · {status}</p>
    </section>
  );
}

const TodoItem = memo(function TodoItem({ todo, run }: { todo: Todo; run: (sql: string, params: ParamValue[]) => Promise<unknown> }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(todo.title);
  return (
    <li className={todo.done ? 'done' : ''} data-id={todo.id}>
      <input type="checkbox" checked={todo.done} aria-label={`done ${todo.title}`}
        onChange={() => void run('UPDATE demo.todos SET done = $1 WHERE id = $2', [!todo.done, todo.id])} />
      {editing ? (
        <form className="row" style={{ flex: 1 }} onSubmit={(e) => { e.preventDefault(); setEditing(false); void run('UPDATE demo.todos SET title = $1 WHERE id = $2', [draft, todo.id]); }}>
          <input type="text" aria-label="edit title" value={draft} autoFocus onChange={(e) => setDraft(e.target.value)} />
          <button type="submit">Save</button>
        </form>
      ) : (
        <span className="title" onDoubleClick={() => { setDraft(todo.title); setEditing(true); }}>{todo.title}</span>
      )}
      <button className="secondary" onClick={() => { setDraft(todo.title); setEditing(!editing); }}>Edit</button>
      <button className="danger" aria-label={`delete ${todo.title}`} onClick={() => void run('DELETE FROM demo.todos WHERE id = $1', [todo.id])}>Delete</button>
    </li>
  );
});
