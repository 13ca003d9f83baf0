import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  getSettings,
  parsePercent,
  resolveQueries,
} from '../../../actions/spectrum-benchmark/src/input-helper.js'
import { Inputs, InputError, mapInputReader } from '../../../lib/inputs.js'

describe('spectrum-benchmark inputs', () => {
  let ws: string
  let env: NodeJS.ProcessEnv
  beforeAll(() => {
    ws = mkdtempSync(join(tmpdir(), 'sb-inputs-'))
    mkdirSync(join(ws, 'q', 'sub'), { recursive: true })
    writeFileSync(join(ws, 'q', 'a.sql'), 'SELECT 1;\n')
    writeFileSync(join(ws, 'q', 'sub', 'b.sql'), '-- b\nSELECT 2\n')
    writeFileSync(join(ws, 'q', 'notes.txt'), 'not sql')
    mkdirSync(join(ws, 'two'))
    writeFileSync(join(ws, 'two', 'x.sql'), 'SELECT 1; SELECT 2;')
    mkdirSync(join(ws, 'dup', 'y'), { recursive: true })
    writeFileSync(join(ws, 'dup', 'a.sql'), 'SELECT 1')
    writeFileSync(join(ws, 'dup', 'y', 'a.sql'), 'SELECT 2')
    writeFileSync(join(ws, 'setup.sql'), 'ANALYZE a; ANALYZE b;')
    env = { GITHUB_WORKSPACE: ws, AWS_REGION: 'us-west-2' }
  })
  afterAll(() => rmSync(ws, { recursive: true, force: true }))

  const settings = (values: Record<string, string>) =>
    getSettings(
      new Inputs(
        mapInputReader({ 'cluster-identifier': 'poc-1', database: 'dev', queries: 'q/**/*.sql', ...values }),
      ),
      env,
    )

  it('applies the defaults', () => {
    const s = settings({})
    expect(s).toMatchObject({
      region: 'us-west-2',
      clusterIdentifier: 'poc-1',
      iterations: 5,
      warmup: 1,
      resultCache: false,
      maxRegression: 0.1,
      queryTimeoutSeconds: 900,
      scanStats: true,
      resultsFileRelative: 'spectrum-benchmark.json',
      setupSql: [],
    })
    expect(s.queries.map((q) => [q.name, q.file, q.sql])).toEqual([
      ['a', 'q/a.sql', 'SELECT 1'],
      ['b', 'q/sub/b.sql', '-- b\nSELECT 2'],
    ])
  })

  it('reads the plan, scan and interleave gates', () => {
    expect(settings({})).toMatchObject({
      planChanges: 'report',
      maxScanGrowth: undefined,
      historyBaseline: 0,
    })
    expect(settings({ 'plan-changes': 'FAIL', 'max-scan-growth': '0%' })).toMatchObject({
      planChanges: 'fail',
      maxScanGrowth: 0,
    })
    expect(settings({ 'max-scan-growth': '12.5' }).maxScanGrowth).toBe(0.125)
    const interleaved = settings({ interleave: 'true', 'base-queries': 'dup/*.sql' })
    expect(interleaved.interleave?.baseQueries.map((q) => q.file)).toEqual(['dup/a.sql'])
  })

  it.each([
    [{ 'plan-changes': 'maybe' }, 'plan-changes'],
    [{ 'max-scan-growth': '-5%' }, 'max-scan-growth'],
    [{ 'max-scan-growth': 'more' }, 'max-scan-growth'],
    [{ interleave: 'true' }, 'interleave'],
    [{ 'base-queries': 'dup/*.sql' }, 'base-queries'],
    [{ interleave: 'true', 'base-queries': 'nothing/*.sql' }, 'base-queries'],
    [{ interleave: 'true', 'base-queries': 'dup/*.sql', baseline: 'base.json' }, 'baseline'],
    [{ 'history-baseline': '3' }, 'history-baseline'],
    [{ history: '../*.json' }, 'history'],
    [{ history: 'q/notes.txt' }, 'history'],
  ])('refuses %j, naming %s', (values, input) => {
    expect(() => settings(values)).toThrow(InputError)
    expect(() => settings(values)).toThrow(`Input '${input}'`)
  })

  it('reads setup-sql inline or from a workspace file', () => {
    expect(settings({ 'setup-sql': 'setup.sql' }).setupSql).toEqual(['ANALYZE a', 'ANALYZE b'])
    expect(settings({ 'setup-sql': 'SET search_path TO poc, public;' }).setupSql).toEqual([
      'SET search_path TO poc, public',
    ])
    expect(() => settings({ 'setup-sql': '../outside.sql' })).toThrow(/Input 'setup-sql'/)
  })

  it('treats a missing baseline file as no baseline, but refuses one outside the workspace', () => {
    expect(settings({ baseline: 'old/results.json' }).baselineMissing).toBe('old/results.json')
    expect(() => settings({ baseline: '/etc/hostname' })).toThrow(/Input 'baseline'/)
  })

  it.each([
    [{ iterations: '0' }, /Input 'iterations': "0"/],
    [{ iterations: 'five' }, /Input 'iterations'/],
    [{ warmup: '-1' }, /Input 'warmup'/],
    [{ 'max-regression': 'abc' }, /Input 'max-regression': "abc" is not valid\. Expected a percentage/],
    [{ 'max-regression': '0' }, /Input 'max-regression'/],
    [{ 'max-regression': '2000%' }, /Input 'max-regression'/],
    [{ 'result-cache': 'maybe' }, /Input 'result-cache'/],
    [{ 'scan-stats': 'sometimes' }, /Input 'scan-stats'/],
    [{ 'query-timeout-seconds': '0' }, /Input 'query-timeout-seconds'/],
    [{ 'query-group': "x'; DROP TABLE customer; --" }, /Input 'query-group'/],
    [{ 'cluster-identifier': 'Poc_1' }, /Input 'cluster-identifier'/],
    [{ 'cluster-identifier': '' }, /Input 'cluster-identifier'.*workgroup-name/],
    [{ 'workgroup-name': 'wg-1' }, /Input 'workgroup-name'/],
    [{ database: '' }, /Input 'database'.*required/],
    [{ database: 'dev; drop' }, /Input 'database'/],
    [
      { 'db-user': 'admin', 'secret-arn': 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x' },
      /Input 'db-user'/,
    ],
    [{ queries: '' }, /Input 'queries'.*required/],
    [{ queries: 'none/*.sql' }, /no \.sql file matched/],
    [{ queries: 'q/*.txt' }, /no \.sql file matched/],
    [{ queries: '/etc/*.sql' }, /Input 'queries': "\/etc\/\*\.sql"/],
    [{ queries: 'q/../../*.sql' }, /Input 'queries'/],
    [{ queries: 'two/*.sql' }, /one SQL query in each file; this one holds 2/],
    [
      { queries: 'q/sub/' },
      /Input 'queries': "q\/sub\/".*it is a directory, not a file \(for its queries: q\/sub\/\*\.sql\)/,
    ],
    [{ queries: 'dup/**/*.sql' }, /unique file names/],
    [{ 'results-file': '../results.json' }, /Input 'results-file'/],
  ])('rejects %j', (values, message) => {
    expect(() => settings(values)).toThrow(InputError)
    expect(() => settings(values)).toThrow(message)
  })

  it('hides the value of a malformed secret ARN', () => {
    expect(() => settings({ 'secret-arn': 'arn:aws:secretsmanager:oops-secret-value' })).toThrow(
      "Input 'secret-arn': (value hidden) is not valid",
    )
  })

  it('refuses a query file that links outside the workspace', () => {
    const outside = mkdtempSync(join(tmpdir(), 'sb-outside-'))
    writeFileSync(join(outside, 'secret.sql'), 'SELECT 1')
    mkdirSync(join(ws, 'links'))
    symlinkSync(join(outside, 'secret.sql'), join(ws, 'links', 'secret.sql'))
    try {
      expect(() => resolveQueries('links/*.sql', env)).toThrow(/links outside/)
    } finally {
      rmSync(outside, { recursive: true, force: true })
    }
  })

  it('accepts database names with UTF-8 multibyte characters, as Redshift identifiers may hold', () => {
    for (const name of ['données', 'ventes_2024', 'продажи', '売上$q1', '_tmp', 'é']) {
      expect(settings({ database: name }).database).toBe(name)
    }
  })

  it.each([
    ['a leading digit', '1sales'],
    ['a space', 'my db'],
    ['a no-break space', 'my\u00a0db'],
    ['a quotation mark', 'db"x'],
    ['a control character', 'db\u0085x'],
    ['a zero-width joiner', 'db\u200dx'],
    ['128 bytes', 'é'.repeat(64)],
  ])('refuses a database name with %s', (_label, name) => {
    expect(() => settings({ database: name })).toThrow(/Input 'database'.*127 bytes/)
  })

  describe('results-file', () => {
    let outside: string
    beforeAll(() => {
      outside = mkdtempSync(join(tmpdir(), 'sb-out-'))
      mkdirSync(join(ws, 'out'), { recursive: true })
      symlinkSync(outside, join(ws, 'out-link'))
      symlinkSync(join(outside, 'r.json'), join(ws, 'out', 'dangling.json'))
      writeFileSync(join(ws, 'old.json'), '{}')
      linkSync(join(ws, 'q', 'a.sql'), join(ws, 'hard-a.json'))
      symlinkSync(join(ws, 'q', 'a.sql'), join(ws, 'soft-a.json'))
    })
    afterAll(() => rmSync(outside, { recursive: true, force: true }))

    it('accepts a new file in a new folder inside the workspace', () => {
      expect(settings({ 'results-file': 'out/new/r.json' })).toMatchObject({
        resultsFile: join(ws, 'out', 'new', 'r.json'),
        resultsFileRelative: 'out/new/r.json',
      })
    })

    it.each([
      ['a folder linked outside', 'out-link/r.json', /a symbolic link leads outside it/],
      ['a link to nothing', 'out/dangling.json', /a symbolic link to nothing/],
      ['a directory', 'out', /it is a directory, not a file/],
      ['the workspace', '.', /Input 'results-file': "\."/],
      ['a path under a file', 'setup.sql/r.json', /setup\.sql is a file, not a folder/],
      ['a query file', 'q/a.sql', /it is the queries file q\/a\.sql/],
      ['a link to a query file', 'soft-a.json', /it is the queries file q\/a\.sql/],
      ['a hard link of a query file', 'hard-a.json', /it is the queries file q\/a\.sql/],
      ['the setup-sql file', 'setup.sql', /it is the setup-sql file setup\.sql/],
    ])('refuses %s', (_label, path, message) => {
      const values = { 'results-file': path, 'setup-sql': 'setup.sql' }
      expect(() => settings(values)).toThrow(InputError)
      expect(() => settings(values)).toThrow(message)
    })

    it('refuses the baseline file, present or not yet', () => {
      writeFileSync(
        join(ws, 'base.json'),
        JSON.stringify({ format: 'spectrum-benchmark/v1', queries: [{ name: 'a', durationsMs: [1] }] }),
      )
      expect(() => settings({ baseline: 'base.json', 'results-file': './base.json' })).toThrow(
        /Input 'results-file'.*it is the baseline file base\.json/,
      )
      expect(() => settings({ baseline: 'none-yet.json', 'results-file': 'none-yet.json' })).toThrow(
        /Input 'results-file'.*baseline/,
      )
    })
  })

  it('refuses a directory given as baseline, naming the input', () => {
    mkdirSync(join(ws, 'base-dir'), { recursive: true })
    expect(() => settings({ baseline: 'base-dir' })).toThrow(InputError)
    expect(() => settings({ baseline: 'base-dir' })).toThrow(/Input 'baseline'.*directory/)
  })

  it('refuses a query file over the Data API statement limit of 100 KB, naming it', () => {
    mkdirSync(join(ws, 'big'))
    writeFileSync(join(ws, 'big', 'ok.sql'), `SELECT 1 -- ${'x'.repeat(100 * 1024 - 20)}`)
    expect(settings({ queries: 'big/ok.sql' }).queries).toHaveLength(1)
    writeFileSync(join(ws, 'big', 'huge.sql'), `SELECT 1 -- ${'x'.repeat(100 * 1024)}`)
    expect(() => settings({ queries: 'big/*.sql' })).toThrow(
      /Input 'queries': "big\/huge\.sql" is not valid.*at most 100 KB.*this one is 101 KB/,
    )
  })

  it('needs a region from the environment', () => {
    expect(() =>
      getSettings(
        new Inputs(mapInputReader({ 'workgroup-name': 'wg-1', database: 'dev', queries: 'q/*.sql' })),
        { GITHUB_WORKSPACE: ws },
      ),
    ).toThrow(/AWS_REGION/)
  })
})

describe('parsePercent', () => {
  it('accepts 10%, 12.5% and 10', () => {
    expect(parsePercent('m', '10%')).toBeCloseTo(0.1)
    expect(parsePercent('m', '12.5 %')).toBeCloseTo(0.125)
    expect(parsePercent('m', '10')).toBeCloseTo(0.1)
  })
})
