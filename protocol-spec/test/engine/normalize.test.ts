/**
 * Statement normalisation: parsing through a cached template with the literals bound back in is
 * exactly parsing the statement itself — same IR (number vs bigint, -0, quotes), same errors.
 */
import fc from 'fast-check';
import { normalizeStatement, SLOT_BASE } from '../../server/src/sql/normalize.js';
import { parseStatement, parseStatementUncached } from '../../server/src/sql/parse.js';

type Outcome = { ok: unknown } | { error: string };

function outcome(parse: () => unknown): Outcome {
  try {
    return { ok: parse() };
  } catch (e) {
    return { error: e instanceof Error ? `${(e as { code?: string }).code ?? ''} ${e.message}` : String(e) };
  }
}

/** Cached path (twice: the second run hits the template) equals the uncached parse. */
function expectSame(sql: string): void {
  const reference = outcome(() => parseStatementUncached(sql));
  expect(outcome(() => parseStatement(sql))).toEqual(reference);
  expect(outcome(() => parseStatement(sql))).toEqual(reference);
}

const int = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map(String),
  fc.constantFrom('0', '-0', '007', '-007', '9007199254740991', '9007199254740992', '-9007199254740993', '18446744073709551616'),
);
const decimal = fc
  .tuple(fc.oneof(fc.nat(1000).map(String), fc.constantFrom('0', '00', '123456789012345678901')), fc.stringMatching(/^\d{1,4}$/), fc.boolean())
  .map(([i, f, neg]) => `${neg ? '-' : ''}${i}.${f}`);
const str = fc
  .oneof(fc.string({ maxLength: 8 }), fc.constantFrom("it's", "''", "a''b", 'x\ny', 'é中🎉', '$1', '1', '--', '/*', '\\', 'a\\'))
  .map((s) => `'${s.replace(/'/g, "''")}'`);
const odd = fc.constantFrom('1e5', '-1e5', '1E+3', '1.5e400', '.5', '-.5', '5.', '+5', '- 5', "E'x'", "E'a\\nb'", "N'x'", 'TRUE', 'FALSE', 'NULL', '$1', '$2', '-$1', '0x10', '1_000', '5x', "'a' 'b'", "'a'\n'b'");
const literal = fc.oneof({ weight: 4, arbitrary: int }, { weight: 2, arbitrary: decimal }, { weight: 3, arbitrary: str }, { weight: 2, arbitrary: odd });
const column = fc.constantFrom('id', 'a', 's', '"quoted col"', 'b1', 'at', '"5"');
const op = fc.constantFrom('=', '<', '>', '<=', '>=', '<>', '!=');
/** Separator between two tokens; `word` when both sides could glue into one word. */
const gap = fc.constantFrom(' ', '', '  ', '\n', ' /* c */ ', ' -- c\n', '\t');
const wordGap = fc.constantFrom(' ', '  ', '\n', ' -- c\n', ' /* c */ ');

function join(parts: readonly string[], gaps: readonly string[], wordGaps: readonly string[]): string {
  let out = parts[0] ?? '';
  for (let i = 1; i < parts.length; i++) {
    const a = out[out.length - 1] ?? ' ';
    const b = parts[i]![0] ?? ' ';
    const glue = /[\w$'"]/.test(a) && /[\w$'"+-]/.test(b) ? wordGaps[i % wordGaps.length]! : gaps[i % gaps.length]!;
    out += glue + parts[i]!;
  }
  return out;
}

const condition = fc.oneof(
  fc.tuple(column, op, literal).map(([c, o, l]) => [c, o, l]),
  fc.tuple(literal, op, column).map(([l, o, c]) => [l, o, c]),
  fc.tuple(column, literal, literal).map(([c, l, h]) => [c, 'BETWEEN', l, 'AND', h]),
  fc.tuple(column, fc.array(literal, { minLength: 1, maxLength: 3 })).map(([c, ls]) => [c, 'IN', '(', ...ls.flatMap((l, i) => (i === 0 ? [l] : [',', l])), ')']),
  fc.tuple(column, str).map(([c, l]) => [c, 'LIKE', l]),
  fc.tuple(column).map(([c]) => [c, 'IS', 'NULL']),
);
const where = fc
  .tuple(condition, fc.option(fc.tuple(fc.constantFrom('AND', 'OR', 'AND NOT'), condition), { nil: undefined }))
  .map(([a, b]) => (b === undefined ? a : ['(', ...a, ')', b[0], ...b[1]]));

const statement = fc.oneof(
  fc
    .tuple(fc.array(fc.array(literal, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([rows, named]) => [
      'INSERT INTO app.t',
      ...(named ? ['(', 'id', ',', 's', ')'] : []),
      'VALUES',
      ...rows.flatMap((r, i) => [...(i === 0 ? [] : [',']), '(', r[0]!, ',', r[1]!, ')']),
    ]),
  fc.tuple(where, fc.option(literal, { nil: undefined })).map(([w, limit]) => ['SELECT', '*', 'FROM', 'app.t', 'WHERE', ...w, ...(limit === undefined ? [] : ['LIMIT', limit])]),
  fc.tuple(column, literal, where).map(([c, l, w]) => ['UPDATE', 'app.t', 'SET', c, '=', l, 'WHERE', ...w]),
  where.map((w) => ['DELETE', 'FROM', 'app.t', 'WHERE', ...w]),
);

describe('statement normalisation', () => {
  test('lifts literals into slots with the values the parser reads', () => {
    const n = normalizeStatement("INSERT INTO app.t (id, s, b) VALUES (7, 'it''s', -12345678901234567890), (9007199254740993, '', $1)");
    expect(n).not.toBeNull();
    expect(n!.template).toBe(`INSERT INTO app.t (id, s, b) VALUES ($${SLOT_BASE}, $${SLOT_BASE + 1}, $${SLOT_BASE + 2}), ($${SLOT_BASE + 3}, $${SLOT_BASE + 4}, $1)`);
    expect(n!.values).toEqual([7, "it's", Number('-12345678901234567890'), 9007199254740993n, '']);
    // statements of one shape share a template
    expect(normalizeStatement("INSERT INTO app.t (id, s, b) VALUES (8, 'x', 1), (1, 'y', $1)")!.template).toBe(n!.template);
    expect(normalizeStatement('CREATE TABLE app.t (id INT PRIMARY KEY)')).toBeNull();
    expect(normalizeStatement("SELECT * FROM app.t WHERE s = 'a\\'b'")).toBeNull();
  });

  test('edge cases parse the same through the template as whole', () => {
    const cases = [
      "INSERT INTO app.t (id, s) VALUES (1, 'it''s')",
      "INSERT INTO app.t (id, s) VALUES (-0, '')",
      'INSERT INTO app.t (id, s) VALUES (-9223372036854775808, 9223372036854775807)',
      'INSERT INTO app.t (id, s) VALUES (18446744073709551616, -18446744073709551616)',
      "INSERT INTO app.t VALUES (1, 'a'), (2, 'b'), (-3, 'c''d')",
      'SELECT * FROM app.t WHERE id > 5',
      'SELECT * FROM app.t WHERE id>-5 AND id<=-1',
      'SELECT * FROM app.t WHERE id = - 5',
      'SELECT * FROM app.t WHERE id = 5-5',
      'SELECT * FROM app.t WHERE id = 1.50 OR id = 00.5 OR id = -0.0',
      'SELECT * FROM app.t WHERE "5" = 5 AND b1 = 1',
      'SELECT * FROM app.t WHERE id = $1 AND s = \'$2\' AND a = 3',
      "SELECT * FROM app.t WHERE s = 'a' -- 'b'\n AND id = 2",
      "SELECT * FROM app.t WHERE s = 'a' /* 'b' */ AND id = 2",
      'SELECT * FROM app.t WHERE id = 1 LIMIT 10',
      "SELECT * FROM app.t WHERE s = 'a'\n'b'",
      "SELECT * FROM app.t WHERE s = E'x'",
      'SELECT * FROM app.t WHERE id IN (1, -2, 3) AND a BETWEEN -1 AND 1',
      "UPDATE app.t SET s = 'x', a = -1 WHERE id = 3",
      'DELETE FROM app.t WHERE id = 1e5',
      'SELECT * FROM app.t WHERE id = 5x',
      `SELECT * FROM app.t WHERE id = $${SLOT_BASE}`,
      'SELECT * FROM app.t WHERE at = 1',
    ];
    for (const sql of cases) expectSame(sql);
  });

  test('property: cached template parse == uncached parse on generated statements', () => {
    fc.assert(
      fc.property(statement, fc.array(gap, { minLength: 1, maxLength: 5 }), fc.array(wordGap, { minLength: 1, maxLength: 3 }), (parts, gaps, wordGaps) => {
        expectSame(join(parts, gaps, wordGaps));
      }),
      { numRuns: 600 },
    );
  });

  test('property: statements of one shape with different literals parse right after the first filled the cache', () => {
    const shape = fc.tuple(int, str, int);
    fc.assert(
      fc.property(fc.array(shape, { minLength: 2, maxLength: 6 }), (rows) => {
        for (const [a, s, b] of rows) expectSame(`UPDATE app.t SET s = ${s}, a = ${b} WHERE id = ${a}`);
      }),
      { numRuns: 200 },
    );
  });
});
