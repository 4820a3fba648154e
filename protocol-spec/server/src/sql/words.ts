/**
 * Words node-sql-parser's PostgreSQL grammar refuses as bare column names. PostgreSQL itself allows
 * the non-reserved ones (`at`, `json`, `session`, ...) unquoted, so they are quoted here before
 * parsing; for truly reserved words (`end`, `order`, `desc`, ...) a syntax error gets a hint.
 */

/** Non-reserved in PostgreSQL; none of their keyword uses is supported by the engine. */
const SOFT = new Set(['at', 'global', 'local', 'session', 'partition']);

/** Reserved words (as the parser sees them) that people use as column names. */
const RESERVED = new Set([
  'all', 'and', 'as', 'asc', 'between', 'by', 'case', 'create', 'current_date', 'current_time', 'current_user', 'delete', 'desc',
  'drop', 'alter', 'else', 'end', 'exists', 'false', 'from', 'full', 'group', 'in', 'inner', 'insert', 'into', 'is', 'join',
  'left', 'like', 'limit', 'not', 'null', 'offset', 'on', 'or', 'order', 'outer', 'right', 'select', 'session_user', 'set',
  'table', 'then', 'true', 'union', 'update', 'using', 'when', 'where', 'window', 'with',
]);

interface Token {
  readonly kind: 'word' | 'punct';
  readonly text: string;
  readonly start: number;
}

/** Bare words and punctuation of a statement (strings, quoted identifiers and comments skipped). */
function tokens(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      const close = ch;
      i++;
      while (i < sql.length && !(sql[i] === close && sql[i + 1] !== close)) i += sql[i] === close ? 2 : 1;
      i++;
    } else if (ch === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i))!;
      out.push({ kind: 'word', text: m[0], start: i });
      i += m[0].length;
    } else if (ch === '$' && /\d/.test(sql[i + 1] ?? '')) {
      i++;
      while (/\d/.test(sql[i] ?? '')) i++;
    } else if (/\s/.test(ch)) {
      i++;
    } else {
      out.push({ kind: 'punct', text: ch, start: i });
      i++;
    }
  }
  return out;
}

/**
 * Quote the bare column names the parser would refuse although PostgreSQL accepts them:
 * `at`, `global`, `local`, `session`, `partition` anywhere; `json` except as a column type of
 * CREATE TABLE; `nulls` except in `NULLS FIRST|LAST`. Spelling is kept (`At` → `"At"`).
 */
export function quoteSoftKeywords(sql: string): string {
  const toks = tokens(sql);
  const createTable = toks[0]?.text.toUpperCase() === 'CREATE';
  const quote: number[] = [];
  toks.forEach((t, i) => {
    if (t.kind !== 'word') return;
    const word = t.text.toLowerCase();
    const prev = toks[i - 1];
    const next = toks[i + 1];
    if (prev?.text === '.' || next?.text === '.' || next?.text === '(') return; // qualified names, function calls
    let soft = SOFT.has(word);
    if (word === 'json') soft = !createTable || prev === undefined || prev.text === '(' || prev.text === ',';
    if (word === 'nulls') soft = !(next?.kind === 'word' && /^(first|last)$/i.test(next.text));
    if (soft) quote.push(i);
  });
  let out = sql;
  for (const i of quote.reverse()) {
    const t = toks[i]!;
    out = `${out.slice(0, t.start)}"${t.text}"${out.slice(t.start + t.text.length)}`;
  }
  return out;
}

/** A hint when the bare word right before a syntax error's offset is a reserved word, else ''. */
export function reservedWordHint(sql: string, errorOffset: number | undefined): string {
  if (errorOffset === undefined) return '';
  const before = tokens(sql).filter((t) => t.start + t.text.length <= errorOffset);
  const last = before[before.length - 1];
  if (last?.kind !== 'word' || !RESERVED.has(last.text.toLowerCase())) return '';
  return `'${last.text}' is a reserved word here; if it is a column name, quote it as "${last.text}". `;
}
