/**
 * Statement splitting and KalamDB's own DDL words (namespaces, users, KILL, USER/SHARED tables),
 * recognised before the rest goes to node-sql-parser.
 */
import { KalamError } from '@kalam/link/protocol';
import type { Statement } from './ast.js';

/** Split `;`-separated statements, respecting quotes and comments. Empty statements are dropped. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      i++;
      while (i < n) {
        if (sql[i] === ch) {
          if (sql[i + 1] === ch) i += 2;
          else break;
        } else i++;
      }
      if (i >= n) throw new KalamError('INVALID_SQL', 'unterminated quoted string');
      i++;
    } else if (ch === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new KalamError('INVALID_SQL', 'unterminated comment');
      i = end + 2;
    } else if (ch === ';') {
      out.push(sql.slice(start, i));
      start = ++i;
    } else i++;
  }
  out.push(sql.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0 && !/^(--[^\n]*\n?|\/\*[\s\S]*?\*\/|\s)*$/.test(s));
}

const IDENT = String.raw`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)`;
const NAME = String.raw`("(?:[^"]|"")+"|'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_.@-]*)`;
const STR = String.raw`'((?:[^']|'')*)'`;
const QUOTED_ID = String.raw`(?:'((?:[^']|'')*)'|"((?:[^"]|"")*)"|\x60([^\x60]*)\x60|([A-Za-z0-9_:.-]+))`;

const RE = {
  createNs: new RegExp(String.raw`^CREATE\s+NAMESPACE\s+(IF\s+NOT\s+EXISTS\s+)?${IDENT}$`, 'i'),
  dropNs: new RegExp(String.raw`^DROP\s+NAMESPACE\s+(IF\s+EXISTS\s+)?${IDENT}(\s+CASCADE)?$`, 'i'),
  tableKind: /^CREATE\s+(USER|SHARED)\s+TABLE\b/i,
  tableWithType: /\bWITH\s*\(\s*TYPE\s*=\s*'?(USER|SHARED)'?\s*\)\s*$/i,
  createUser: new RegExp(String.raw`^CREATE\s+USER\s+(IF\s+NOT\s+EXISTS\s+)?${NAME}\s+WITH\s+PASSWORD\s+${STR}(?:\s+ROLE\s+'?([A-Za-z]+)'?)?$`, 'i'),
  dropUser: new RegExp(String.raw`^DROP\s+USER\s+(IF\s+EXISTS\s+)?${NAME}$`, 'i'),
  alterUser: new RegExp(String.raw`^ALTER\s+USER\s+${NAME}\s+(DISABLE|ENABLE|SET\s+PASSWORD\s+${STR}|SET\s+ROLE\s+'?([A-Za-z]+)'?)$`, 'i'),
  kill: new RegExp(String.raw`^KILL\s+(CONNECTION|LIVE\s+QUERY)\s+${QUOTED_ID}$`, 'i'),
};

/** Unquote an identifier or name token (`"x"`, `'x'` or bare). */
export function unquoteName(token: string): string {
  if (token.startsWith('"')) return token.slice(1, -1).replace(/""/g, '"');
  if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
  return token;
}

function unquoteStr(body: string): string {
  return body.replace(/''/g, "'");
}

/** Result of the pre-pass: a KalamDB statement, or SQL for node-sql-parser (with the table kind for CREATE TABLE). */
export type Prepassed =
  | { readonly kind: 'statement'; readonly statement: Statement }
  | { readonly kind: 'sql'; readonly sql: string; readonly tableKind?: 'user' | 'shared' };

/** Recognise KalamDB-only statements; pass the rest through (with USER/SHARED stripped). */
export function prepass(statement: string): Prepassed {
  const s = statement.trim();
  let m = RE.createNs.exec(s);
  if (m) return { kind: 'statement', statement: { type: 'create_namespace', name: unquoteName(m[2]!), ifNotExists: !!m[1] } };
  m = RE.dropNs.exec(s);
  if (m) return { kind: 'statement', statement: { type: 'drop_namespace', name: unquoteName(m[2]!), ifExists: !!m[1] } };
  m = RE.tableKind.exec(s);
  if (m) {
    const tableKind = m[1]!.toLowerCase() as 'user' | 'shared';
    return { kind: 'sql', sql: `CREATE TABLE${s.slice(m[0].length)}`, tableKind };
  }
  if (/^CREATE\s+TABLE\b/i.test(s)) {
    const w = RE.tableWithType.exec(s);
    if (w) return { kind: 'sql', sql: s.slice(0, w.index).trimEnd(), tableKind: w[1]!.toLowerCase() as 'user' | 'shared' };
    return { kind: 'sql', sql: s, tableKind: 'user' };
  }
  m = RE.createUser.exec(s);
  if (m) {
    return {
      kind: 'statement',
      statement: { type: 'create_user', name: unquoteName(m[2]!), password: unquoteStr(m[3]!), role: (m[4] ?? 'user').toLowerCase(), ifNotExists: !!m[1] },
    };
  }
  if (/^CREATE\s+USER\b/i.test(s)) throw new KalamError('INVALID_SQL', "expected CREATE USER name WITH PASSWORD 'pw' [ROLE user|dba]");
  m = RE.dropUser.exec(s);
  if (m) return { kind: 'statement', statement: { type: 'drop_user', name: unquoteName(m[2]!), ifExists: !!m[1] } };
  m = RE.alterUser.exec(s);
  if (m) {
    const name = unquoteName(m[1]!);
    const word = m[2]!.toUpperCase();
    const action =
      word === 'DISABLE'
        ? ({ kind: 'disable' } as const)
        : word === 'ENABLE'
          ? ({ kind: 'enable' } as const)
          : m[3] !== undefined
            ? ({ kind: 'password', password: unquoteStr(m[3]) } as const)
            : ({ kind: 'role', role: m[4]!.toLowerCase() } as const);
    return { kind: 'statement', statement: { type: 'alter_user', name, action } };
  }
  if (/^ALTER\s+USER\b/i.test(s)) throw new KalamError('INVALID_SQL', "expected ALTER USER name DISABLE|ENABLE|SET PASSWORD '…'|SET ROLE r");
  m = RE.kill.exec(s);
  if (m) {
    const target = /^CONNECTION$/i.test(m[1]!) ? 'connection' : 'live_query';
    const id = m[2] !== undefined ? unquoteStr(m[2]) : m[3] !== undefined ? m[3].replace(/""/g, '"') : (m[4] ?? m[5])!;
    return { kind: 'statement', statement: { type: 'kill', target, id } };
  }
  if (/^KILL\b/i.test(s)) throw new KalamError('INVALID_SQL', "expected KILL CONNECTION '<id>' or KILL LIVE QUERY '<id>'");
  return { kind: 'sql', sql: s };
}
