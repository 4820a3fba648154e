import { useState, type FormEvent, memo } from 'react';
import { useKalamClient, useLiveQuery } from '@kalam/react';

interface Todo {
  readonly id: string;
  readonly title: string;
  readonly done: boolean;
}

/** The live list: every insert, edit and delete shows in every window of the same user at once. */
export function Board() {
  const client = useKalamClient();
  const { rows, status, error } = useLiveQuery<Todo>('SELECT id, title, done FROM demo.todos');
  const [title, setTitle] = useState('');
  const [failure, setFailure] = useState<string | null>(null);

  const run = (sql: string, params: unknown[]) =>
    client.query(sql, params as never).catch((e: unknown) => setFailure(e instanceof Error ? e.message : String(e)));

  async function add(event: FormEvent) {
    event.preventDefault();
    const text = title.trim();
    if (!text) return;
    setTitle('');
    await run('INSERT INTO demo.todos (id, title, done) VALUES ($1, $2, false)', [crypto.randomUUID(), text]);
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
          {rows.map((todo) => <TodoItem key={todo.id} todo={todo} run={run} />)}
        </ul>
      )}
      <p className="muted" data-testid="row-count">{rows.length} rows · {status}</p>
    </section>
  );
}

const TodoItem = memo(function TodoItem({ todo, run }: { todo: Todo; run: (sql: string, params: unknown[]) => Promise<unknown> }) {
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
