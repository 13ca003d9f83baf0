import { splitStatements, sqlString } from '../../../actions/spectrum-benchmark/src/sql.js'

describe('splitStatements', () => {
  it('splits at semicolons outside quotes, dollar quotes and comments', () => {
    const text = [
      "-- first; still a comment\nSELECT 'a;b' AS x;",
      'SELECT "odd;name" FROM t /* ; */;',
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;',
      "SELECT 'it''s; fine'",
    ].join('\n')
    expect(splitStatements(text)).toEqual([
      "-- first; still a comment\nSELECT 'a;b' AS x",
      'SELECT "odd;name" FROM t /* ; */',
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql',
      "SELECT 'it''s; fine'",
    ])
  })
  it('drops empty and comment-only statements', () => {
    expect(splitStatements(';;  -- nothing\n ; /* x */')).toEqual([])
    expect(splitStatements('SELECT 1;\n-- trailing comment\n')).toEqual(['SELECT 1'])
  })
})

describe('sqlString', () => {
  it('doubles single quotes', () => {
    expect(sqlString("pr-1 'x'")).toBe("'pr-1 ''x'''")
  })
})
