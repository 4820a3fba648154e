/** Parsed statements are cached by text; errors and KalamDB DDL (passwords) are not. */
import { parseSql } from '../../server/src/sql/parse.js';

describe('statement cache', () => {
  test('repeated text returns the same immutable statement; errors are thrown every time', () => {
    const sql = 'INSERT INTO app.feed (id, body) VALUES ($1, $2)';
    const [a] = parseSql(sql);
    const [b] = parseSql(sql);
    expect(b).toBe(a);
    expect(() => parseSql('SELEKT 1')).toThrow();
    expect(() => parseSql('SELEKT 1')).toThrow();
  });

  test('KalamDB DDL (which may carry passwords) is read afresh each time', () => {
    const sql = "CREATE USER carol WITH PASSWORD 'secret' ROLE user";
    const [a] = parseSql(sql);
    const [b] = parseSql(sql);
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
  });
});
