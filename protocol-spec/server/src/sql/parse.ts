/**
 * SQL text → {@link Statement}s: the KalamDB pre-pass, then node-sql-parser (PostgreSQL dialect)
 * for standard SQL, whose AST is narrowed here to what the engine executes.
 */
import pg from 'node-sql-parser/build/postgresql.js';
import { KalamError, type KalamDataType } from '@kalam/link/protocol';
import type { ColumnSpec, CompareOp, Expr, OrderItem, SelectItem, SelectStatement, Statement, TableRef } from './ast.js';
import { prepass, splitStatements } from './prepass.js';
import { quoteSoftKeywords, reservedWordHint } from './words.js';
import { Lru } from './lru.js';
import { bindTemplate, normalizeStatement } from './normalize.js';

const parser = new pg.Parser();

/**
 * Parsed statements by text: node-sql-parser is the largest CPU cost of a small INSERT, and
 * parameterised statements and live queries repeat their text. Statements are immutable IR.
 * Only parser-made statements are kept (KalamDB DDL such as CREATE USER ... PASSWORD is cheap to
 * re-read and is not held in memory).
 */
const parsed = new Lru<string, Statement>(1024);
/** Longer texts (multi-row literal INSERTs) rarely repeat: parse them without caching. */
const MAX_CACHED_SQL_CHARS = 8192;

/** A loosely typed AST node (node-sql-parser's own typings are incomplete). */
type Node = { readonly [key: string]: unknown };

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(message: string): KalamError {
  return new KalamError('INVALID_SQL', message);
}

function unsupported(message: string): KalamError {
  return new KalamError('UNSUPPORTED', message);
}

/** Parse one or more `;`-separated statements. */
export function parseSql(sql: string): Statement[] {
  if (typeof sql !== 'string' || sql.trim() === '') throw invalid('empty SQL');
  const parts = splitStatements(sql);
  if (parts.length === 0) throw invalid('empty SQL');
  return parts.map(parseStatement);
}

/**
 * Parsed templates of normalised DML (literals lifted into slots, see normalize.ts): literal INSERTs
 * differ in every value, so the text cache never hits for them. `null` marks a template the parser
 * reads differently from its statements (those are parsed whole).
 */
const templates = new Lru<string, Statement | null>(1024);

/** Parse exactly one statement. */
export function parseStatement(text: string): Statement {
  const known = parsed.get(text);
  if (known !== undefined) return known;
  const normalized = text.length <= MAX_CACHED_SQL_CHARS ? normalizeStatement(text.trim()) : null;
  if (normalized !== null) {
    let template = templates.get(normalized.template);
    if (template === undefined) {
      try {
        template = parseStandard(normalized.template, undefined);
      } catch {
        template = null;
      }
      templates.set(normalized.template, template);
    }
    const bound = template === null ? null : bindTemplate(template, normalized.values);
    if (bound !== null) return bound;
    if (template !== null) templates.set(normalized.template, null);
  }
  const pre = prepass(text);
  if (pre.kind === 'statement') return pre.statement;
  const statement = parseStandard(pre.sql, pre.tableKind);
  if (text.length <= MAX_CACHED_SQL_CHARS) parsed.set(text, statement);
  return statement;
}

/** {@link parseStatement} without any cache (the reference the caches are tested against). */
export function parseStatementUncached(text: string): Statement {
  const pre = prepass(text);
  if (pre.kind === 'statement') return pre.statement;
  return parseStandard(pre.sql, pre.tableKind);
}

function parseStandard(text: string, tableKind: 'user' | 'shared' | undefined): Statement {
  let ast: unknown;
  const sql = quoteSoftKeywords(text);
  try {
    ast = parser.astify(sql, { database: 'postgresql' });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const hint = reservedWordHint(sql, errorOffset(e));
    throw invalid(`syntax error: ${hint}${msg.length > 300 ? `${msg.slice(0, 300)}…` : msg}`);
  }
  if (Array.isArray(ast)) {
    if (ast.length !== 1) throw invalid('expected one statement');
    ast = ast[0];
  }
  if (!isNode(ast)) throw invalid('unparsable statement');
  switch (ast['type']) {
    case 'select':
      return toSelect(ast);
    case 'insert':
      return toInsert(ast);
    case 'update':
      return toUpdate(ast);
    case 'delete':
      return toDelete(ast);
    case 'create':
      if (ast['keyword'] !== 'table') throw unsupported(`CREATE ${String(ast['keyword']).toUpperCase()} is not supported`);
      return toCreateTable(ast, tableKind ?? 'user');
    case 'drop':
      if (ast['keyword'] !== 'table') throw unsupported(`DROP ${String(ast['keyword']).toUpperCase()} is not supported`);
      return toDropTable(ast);
    default:
      throw unsupported(`${String(ast['type']).toUpperCase()} statements are not supported`);
  }
}

/** The offset of a parser (peggy) syntax error, when it carries one. */
function errorOffset(e: unknown): number | undefined {
  const loc = isNode(e) ? e['location'] : undefined;
  const start = isNode(loc) ? loc['start'] : undefined;
  return isNode(start) && typeof start['offset'] === 'number' ? start['offset'] : undefined;
}

function tableRef(node: unknown): TableRef {
  if (!isNode(node) || typeof node['table'] !== 'string') throw unsupported('only plain namespace.table references are supported');
  const ns = node['db'] ?? node['schema'];
  if (typeof ns !== 'string' || ns === '') throw invalid(`table must be qualified as namespace.table: ${node['table']}`);
  return { namespace: ns, name: node['table'] };
}

function singleTable(list: unknown, what: string): TableRef {
  if (!Array.isArray(list) || list.length === 0) throw invalid(`${what}: missing table`);
  if (list.length > 1) throw unsupported(`${what}: joins and multiple tables are not supported`);
  const t: unknown = list[0];
  if (isNode(t) && (t['join'] || t['expr'])) throw unsupported(`${what}: joins and subqueries are not supported`);
  return tableRef(t);
}

function columnName(node: unknown): string {
  if (typeof node === 'string') return node;
  if (isNode(node)) {
    if (node['type'] === 'column_ref') return columnName(node['column']);
    if (isNode(node['expr'])) return columnName(node['expr']);
    if (typeof node['value'] === 'string') return node['value'];
  }
  throw unsupported('unsupported column reference');
}

function numberLiteral(raw: unknown): number | bigint {
  if (typeof raw === 'number') return raw;
  const s = String(raw);
  if (/^[+-]?\d+$/.test(s)) {
    const b = BigInt(s);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  }
  const n = Number(s);
  if (!Number.isFinite(n)) throw invalid(`bad number: ${s}`);
  return n;
}

const COMPARE: Record<string, CompareOp> = { '=': '=', '<>': '<>', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** Convert a WHERE / value expression. */
export function toExpr(node: unknown): Expr {
  if (!isNode(node)) throw unsupported('unsupported expression');
  const type = node['type'];
  switch (type) {
    case 'column_ref':
      if (node['column'] === '*') throw unsupported('* is not allowed here');
      return { kind: 'col', name: columnName(node) };
    case 'double_quote_string':
      return { kind: 'col', name: String(node['value']) };
    case 'number':
    case 'bigint':
      return { kind: 'lit', value: numberLiteral(node['value']) };
    case 'single_quote_string':
    case 'string':
      return { kind: 'lit', value: String(node['value']).replace(/''/g, "'") };
    case 'bool':
    case 'boolean':
      return { kind: 'lit', value: node['value'] === true || node['value'] === 'TRUE' || node['value'] === 'true' };
    case 'null':
      return { kind: 'lit', value: null };
    case 'var':
      if (node['prefix'] === '$' && typeof node['name'] === 'number' && node['name'] >= 1) return { kind: 'param', index: node['name'] };
      throw invalid('parameters are $1..$n');
    case 'unary_expr': {
      const op = String(node['operator']).toUpperCase();
      const inner = toExpr(node['expr']);
      if (op === 'NOT') return { kind: 'not', expr: inner };
      if (op === '-' && inner.kind === 'lit' && (typeof inner.value === 'number' || typeof inner.value === 'bigint')) {
        return { kind: 'lit', value: negate(inner.value) };
      }
      if (op === '+' && inner.kind === 'lit') return inner;
      throw unsupported(`unsupported operator ${op}`);
    }
    case 'function': {
      const name = functionName(node);
      const args = isNode(node['args']) && Array.isArray(node['args']['value']) ? (node['args']['value'] as unknown[]) : [];
      if (name === 'NOT' && args.length === 1) return { kind: 'not', expr: toExpr(args[0]) };
      throw unsupported(`function ${name}() is not supported`);
    }
    case 'binary_expr':
      return binary(node);
    default:
      throw unsupported(`unsupported expression (${String(type)})`);
  }
}

function negate(v: number | bigint): number | bigint {
  if (typeof v === 'number') return -v;
  const n = -v;
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function functionName(node: Node): string {
  const name = node['name'];
  if (isNode(name) && Array.isArray(name['name'])) {
    return (name['name'] as unknown[]).map((p) => (isNode(p) ? String(p['value']) : String(p))).join('.').toUpperCase();
  }
  return String(name).toUpperCase();
}

function list(node: unknown): Expr[] {
  if (isNode(node) && node['type'] === 'expr_list' && Array.isArray(node['value'])) return (node['value'] as unknown[]).map(toExpr);
  throw unsupported('expected a value list');
}

function binary(node: Node): Expr {
  const op = String(node['operator']).toUpperCase();
  const cmp = COMPARE[op];
  if (cmp) return { kind: 'cmp', op: cmp, left: toExpr(node['left']), right: toExpr(node['right']) };
  switch (op) {
    case 'AND':
    case 'OR':
      return { kind: op === 'AND' ? 'and' : 'or', left: toExpr(node['left']), right: toExpr(node['right']) };
    case 'IN':
    case 'NOT IN':
      return { kind: 'in', expr: toExpr(node['left']), list: list(node['right']), negated: op === 'NOT IN' };
    case 'LIKE':
    case 'NOT LIKE':
    case 'ILIKE':
    case 'NOT ILIKE':
      return { kind: 'like', expr: toExpr(node['left']), pattern: toExpr(node['right']), negated: op.startsWith('NOT'), caseInsensitive: op.endsWith('ILIKE') };
    case 'IS':
    case 'IS NOT': {
      const right = toExpr(node['right']);
      if (right.kind !== 'lit' || right.value !== null) throw unsupported(`${op} supports only NULL`);
      return { kind: 'isnull', expr: toExpr(node['left']), negated: op === 'IS NOT' };
    }
    case 'BETWEEN':
    case 'NOT BETWEEN': {
      const bounds = list(node['right']);
      if (bounds.length !== 2) throw invalid('BETWEEN needs two bounds');
      return { kind: 'between', expr: toExpr(node['left']), low: bounds[0]!, high: bounds[1]!, negated: op === 'NOT BETWEEN' };
    }
    default:
      throw unsupported(`operator ${op} is not supported`);
  }
}

function limitOf(node: unknown): { limit: number | null; offset: number } {
  if (!isNode(node) || !Array.isArray(node['value']) || node['value'].length === 0) return { limit: null, offset: 0 };
  const values = (node['value'] as unknown[]).map((v) => {
    const e = toExpr(v);
    if (e.kind !== 'lit' || typeof e.value !== 'number' || !Number.isInteger(e.value) || e.value < 0) throw invalid('LIMIT/OFFSET must be non-negative integers');
    return e.value;
  });
  if (node['seperator'] === 'offset') return { limit: values[0]!, offset: values[1] ?? 0 };
  if (node['seperator'] === ',') return { limit: values[1] ?? null, offset: values[0]! };
  return { limit: values[0]!, offset: 0 };
}

const AGGREGATES = new Set(['count', 'min', 'max', 'sum']);

function selectItem(node: unknown): SelectItem {
  if (!isNode(node)) throw unsupported('unsupported select item');
  const expr = node['expr'];
  const alias = typeof node['as'] === 'string' ? node['as'] : null;
  if (isNode(expr) && expr['type'] === 'column_ref' && expr['column'] === '*') return { kind: 'star' };
  if (isNode(expr) && (expr['type'] === 'column_ref' || expr['type'] === 'double_quote_string')) return { kind: 'col', name: columnName(expr), alias };
  if (isNode(expr) && expr['type'] === 'aggr_func') {
    const fn = String(expr['name']).toLowerCase();
    if (!AGGREGATES.has(fn)) throw unsupported(`aggregate ${fn.toUpperCase()} is not supported`);
    const args = isNode(expr['args']) ? expr['args']['expr'] : undefined;
    const column = isNode(args) && args['type'] === 'star' ? null : columnName(args);
    if (column === null && fn !== 'count') throw invalid(`${fn.toUpperCase()}(*) is not valid`);
    return { kind: 'agg', fn: fn as 'count' | 'min' | 'max' | 'sum', column, alias };
  }
  throw unsupported('only columns, * and COUNT/MIN/MAX/SUM are supported in SELECT lists');
}

function toSelect(ast: Node): SelectStatement {
  if (ast['with']) throw unsupported('WITH is not supported');
  if (!ast['from']) throw unsupported('SELECT without FROM is not supported');
  if (ast['groupby'] || ast['having']) throw unsupported('GROUP BY / HAVING are not supported');
  if (ast['_next'] || ast['set_op']) throw unsupported('UNION is not supported');
  const table = singleTable(ast['from'], 'SELECT');
  const items = (Array.isArray(ast['columns']) ? ast['columns'] : []).map(selectItem);
  if (items.length === 0) throw invalid('empty SELECT list');
  const orderBy: OrderItem[] = Array.isArray(ast['orderby'])
    ? (ast['orderby'] as unknown[]).map((o) => {
        if (!isNode(o)) throw invalid('bad ORDER BY');
        const e = o['expr'];
        if (!isNode(e) || (e['type'] !== 'column_ref' && e['type'] !== 'double_quote_string')) throw unsupported('ORDER BY supports column names only');
        return { column: columnName(e), desc: String(o['type']).toUpperCase() === 'DESC' };
      })
    : [];
  const distinct = isNode(ast['distinct']) && ast['distinct']['type'] === 'DISTINCT';
  return { type: 'select', table, items, where: ast['where'] ? toExpr(ast['where']) : null, orderBy, ...limitOf(ast['limit']), distinct };
}

function toInsert(ast: Node): Statement {
  const table = singleTable(ast['table'], 'INSERT');
  if (ast['conflict'] || ast['on_duplicate_update']) throw unsupported('ON CONFLICT is not supported');
  if (ast['returning']) throw unsupported('RETURNING is not supported');
  const values = ast['values'];
  if (!isNode(values) || values['type'] !== 'values' || !Array.isArray(values['values'])) throw unsupported('only INSERT ... VALUES is supported');
  const rows = (values['values'] as unknown[]).map(list);
  const columns = Array.isArray(ast['columns']) ? (ast['columns'] as unknown[]).map(columnName) : null;
  return { type: 'insert', table, columns, rows };
}

function toUpdate(ast: Node): Statement {
  const table = singleTable(ast['table'], 'UPDATE');
  if (ast['from'] || ast['returning']) throw unsupported('UPDATE ... FROM/RETURNING is not supported');
  const set = (Array.isArray(ast['set']) ? (ast['set'] as unknown[]) : []).map((s) => {
    if (!isNode(s)) throw invalid('bad SET');
    return { column: columnName(s['column']), value: toExpr(s['value']) };
  });
  if (set.length === 0) throw invalid('UPDATE needs SET');
  return { type: 'update', table, set, where: ast['where'] ? toExpr(ast['where']) : null };
}

function toDelete(ast: Node): Statement {
  const from = Array.isArray(ast['from']) && ast['from'].length > 0 ? ast['from'] : ast['table'];
  const table = singleTable(from, 'DELETE');
  if (ast['returning']) throw unsupported('RETURNING is not supported');
  return { type: 'delete', table, where: ast['where'] ? toExpr(ast['where']) : null };
}

const TYPES: Record<string, KalamDataType> = {
  TEXT: 'Text', VARCHAR: 'Text', CHAR: 'Text', STRING: 'Text', 'CHARACTER VARYING': 'Text',
  INT: 'Int', INTEGER: 'Int', INT4: 'Int',
  SMALLINT: 'SmallInt', INT2: 'SmallInt',
  BIGINT: 'BigInt', INT8: 'BigInt',
  DOUBLE: 'Double', 'DOUBLE PRECISION': 'Double', FLOAT8: 'Double',
  FLOAT: 'Float', REAL: 'Float', FLOAT4: 'Float',
  BOOLEAN: 'Boolean', BOOL: 'Boolean',
  TIMESTAMP: 'Timestamp', TIMESTAMPTZ: 'Timestamp', DATETIME: 'Timestamp',
  JSON: 'Json', JSONB: 'Json',
};

function toCreateTable(ast: Node, kind: 'user' | 'shared'): Statement {
  const table = singleTable(ast['table'], 'CREATE TABLE');
  if (ast['as'] || ast['query_expr']) throw unsupported('CREATE TABLE AS is not supported');
  const defs = Array.isArray(ast['create_definitions']) ? (ast['create_definitions'] as unknown[]) : [];
  const columns: { name: string; dataType: KalamDataType; notNull: boolean; primaryKey: boolean }[] = [];
  let primaryKey: string[] = [];
  for (const d of defs) {
    if (!isNode(d)) continue;
    if (d['resource'] === 'column') {
      const name = columnName(d['column']);
      const def = isNode(d['definition']) ? d['definition'] : {};
      const rawType = String(def['dataType'] ?? '').toUpperCase();
      const dataType = TYPES[rawType];
      if (!dataType) throw unsupported(`column type ${rawType} is not supported`);
      if (d['default_val']) throw unsupported('DEFAULT values are not supported');
      if (d['unique'] || d['unique_or_primary'] === 'unique') throw unsupported('UNIQUE is not supported');
      const pk = typeof d['primary_key'] === 'string' || d['unique_or_primary'] === 'primary key';
      const notNull = isNode(d['nullable']) && d['nullable']['type'] === 'not null';
      if (columns.some((c) => c.name === name)) throw invalid(`duplicate column ${name}`);
      columns.push({ name, dataType, notNull, primaryKey: pk });
      if (pk) primaryKey.push(name);
    } else if (d['resource'] === 'constraint') {
      if (d['constraint_type'] !== 'primary key') throw unsupported(`constraint ${String(d['constraint_type'])} is not supported`);
      if (primaryKey.length > 0) throw invalid('more than one PRIMARY KEY');
      primaryKey = (Array.isArray(d['definition']) ? (d['definition'] as unknown[]) : []).map(columnName);
    } else throw unsupported(`${String(d['resource'])} definitions are not supported`);
  }
  if (columns.length === 0) throw invalid('a table needs columns');
  if (primaryKey.length === 0) throw invalid('a table needs a PRIMARY KEY');
  const specs: ColumnSpec[] = columns.map((c) => {
    const pk = primaryKey.includes(c.name);
    return { name: c.name, dataType: c.dataType, notNull: c.notNull || pk, primaryKey: pk };
  });
  for (const k of primaryKey) {
    const col = specs.find((c) => c.name === k);
    if (!col) throw invalid(`PRIMARY KEY column ${k} is not defined`);
    if (col.dataType === 'Json') throw unsupported('JSON columns cannot be part of a PRIMARY KEY');
  }
  if (specs.some((c) => c.name === '_seq')) throw invalid('_seq is a reserved column name');
  return { type: 'create_table', kind, table, ifNotExists: !!ast['if_not_exists'], columns: specs, primaryKey };
}

function toDropTable(ast: Node): Statement {
  const names = ast['name'];
  if (!Array.isArray(names) || names.length !== 1) throw unsupported('DROP TABLE takes exactly one table');
  return { type: 'drop_table', table: tableRef(names[0]), ifExists: /IF\s+EXISTS/i.test(String(ast['prefix'] ?? '')) };
}
