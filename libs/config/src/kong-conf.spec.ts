import { parseKongConf } from './kong-conf';

describe('parseKongConf', () => {
  it('reads key = value lines, skipping comments and blank lines', () => {
    const parsed = parseKongConf(
      ['# a comment', '', 'pg_host = db.internal   # trailing comment', '  pg_port=6432', 'pg_password = a\\#b'].join('\n'),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.entries).toEqual([
      { key: 'pg_host', value: 'db.internal', line: 3 },
      { key: 'pg_port', value: '6432', line: 4 },
      { key: 'pg_password', value: 'a#b', line: 5 },
    ]);
  });

  it('keeps an empty value (it means unset) and reports malformed lines with their number', () => {
    const parsed = parseKongConf('pg_schema =\nnot a setting\nBad-Key = 1\n');
    expect(parsed.entries).toEqual([{ key: 'pg_schema', value: '', line: 1 }]);
    expect(parsed.errors).toEqual([
      { line: 2, message: "expected 'key = value', got 'not a setting'" },
      { line: 3, message: "invalid key name 'Bad-Key' (lowercase letters, digits and '_')" },
    ]);
  });
});
