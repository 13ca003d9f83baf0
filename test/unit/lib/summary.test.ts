import {
  axisLabels,
  barAndLineChart,
  barChart,
  codeSpan,
  collapsed,
  durationCell,
  elapsedGantt,
  escapeCell,
  fitSummary,
  groupedBarChart,
  inputsLine,
  keyedName,
  markdownTable,
  markdownText,
  mermaidLabel,
  outcomeLine,
  renderLayout,
  tableBlock,
} from '../../../lib/summary.js'

/** The values of each `bar` line of an xychart, by series. */
function barSeries(chart: string): number[][] {
  return [...chart.matchAll(/^ {2}bar (?:"[^"]*" )?\[(.*)\]$/gm)].map((m) => m[1]!.split(', ').map(Number))
}

describe('markdown', () => {
  it('escapes pipes and newlines in cells', () => {
    expect(escapeCell('a|b\nc')).toBe('a\\|b<br>c')
    expect(markdownTable(['Region', 'Status'], [['us-east-1', 'ok']])).toBe(
      '| Region | Status |\n| --- | --- |\n| us-east-1 | ok |',
    )
  })
  it('keeps mermaid labels free of syntax characters', () => {
    expect(mermaidLabel('a: b; c#')).toBe('a b c')
  })
  it('shows no duration for a step that never ran', () => {
    expect(durationCell(0, false)).toBe('—')
    expect(durationCell(1234)).toBe('1.2 s')
    expect(durationCell(65_400)).toBe('65 s')
  })
})

describe('layout', () => {
  it('puts the mark, the outcome and the sentence on the first line', () => {
    expect(outcomeLine('Deploy of `api`', 'failed', 'no region was deployed.')).toBe(
      '## ❌ Deploy of `api` failed: no region was deployed.',
    )
    expect(outcomeLine('Prune', 'warning', 'one region was not read.')).toMatch(
      /^## ⚠️ Prune passed with warnings: /,
    )
    expect(outcomeLine('Prune', 'passed', 'two\nlines')).toBe('## ✅ Prune passed: two lines')
    expect(outcomeLine('Deploy', 'passed', 'All 3 regions done.')).toBe(
      '## ✅ Deploy passed: All 3 regions done.',
    )
    expect(outcomeLine('Rollout', 'failed', 'CreateStackInstances ended FAILED')).toMatch(
      /failed: CreateStackInstances/,
    )
    expect(outcomeLine('Check', 'failed', 'AWS said no')).toMatch(/failed: AWS said no/)
  })
  it('orders outcome, inputs, problems, then details, and leaves out empty blocks', () => {
    const text = renderLayout({
      title: 'Check',
      outcome: 'failed',
      sentence: '1 of 3 checks failed.',
      inputs: [
        ['regions', ['a', 'b']],
        ['empty', ''],
        ['none', undefined],
      ],
      problems: ['PROBLEMS', undefined],
      details: ['', 'DETAILS'],
    })
    const lines = text.split('\n\n')
    expect(lines[0]).toBe('## ❌ Check failed: 1 of 3 checks failed.')
    expect(lines[1]).toBe('<sub>Inputs: `regions` a, b</sub>')
    expect(lines.slice(2)).toEqual(['PROBLEMS', 'DETAILS\n'])
  })
  it('states the inputs once and not at all when there are none', () => {
    expect(inputsLine([['empty', []]])).toBeUndefined()
    expect(inputsLine([['policy', 'keep-last 5 <x>']])).toBe(
      '<sub>Inputs: `policy` keep-last 5 &lt;x&gt;</sub>',
    )
  })
  it('collapses a long table and shows a short one as it is', () => {
    const rows = Array.from({ length: 11 }, (_, i) => [i])
    expect(tableBlock('All checks', ['n'], rows)).toMatch(
      /^<details><summary>All checks \(11\)<\/summary>\n\n\| n \|/,
    )
    expect(tableBlock('All checks', ['n'], rows.slice(0, 3))).toMatch(/^\| n \|/)
    expect(collapsed('s', 'body')).toBe('<details><summary>s</summary>\n\nbody\n\n</details>')
  })
  it('names a long item by its chart key in tables', () => {
    expect(keyedName('01-long-query-name', 'Q1')).toBe('**Q1** 01-long-query-name')
    expect(keyedName('short', 'short')).toBe('short')
  })
})

describe('size limit', () => {
  it('leaves a summary under the limit as it is', () => {
    expect(fitSummary('small\n', 100)).toBe('small\n')
  })
  it('cuts at a line, closes an open fence and <details>, and says so', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `| row ${i} | ${'é'.repeat(20)} |`)
    const markdown = `### ✅ ok\n\n<details><summary>x</summary>\n\n\`\`\`\n${rows.join('\n')}\n\`\`\`\n\n</details>\n`
    const cut = fitSummary(markdown, 64 * 1024, 'the plan file')
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(64 * 1024)
    expect(cut.startsWith('### ✅ ok')).toBe(true)
    expect((cut.match(/^```/gm) ?? []).length % 2).toBe(0)
    expect(cut).toContain('</details>')
    expect(cut).toMatch(
      /This summary was cut at 64 KiB of \d+ KiB: GitHub shows at most 1 MiB per step\. The whole detail is in the plan file\./,
    )
    expect(cut).not.toContain('\uFFFD')
  })
  it('keeps the default limit under 1 MiB', () => {
    const big = renderLayout({
      title: 'T',
      outcome: 'passed',
      sentence: 's',
      details: ['x'.repeat(80) + '\n'].map((l) => l.repeat(20_000)),
    })
    expect(Buffer.byteLength(big, 'utf8')).toBeLessThan(1024 * 1024)
    expect(big).toContain('This summary was cut')
  })
})

describe('charts', () => {
  it('gives each (item, series) its own category and one bar series, so no two bars share an x', () => {
    const chart = groupedBarChart({
      title: 'Snapshots per region',
      unit: 'snapshots',
      items: ['eu-west-1', 'eu-central-1'],
      series: [
        { name: 'kept', values: [20, 2] },
        { name: 'deleted', values: [36, 0] },
      ],
    })!
    expect(chart).toContain(
      'x-axis ["eu-west-1 kept", "eu-west-1 deleted", "eu-central-1 kept", "eu-central-1 deleted"]',
    )
    // One bar series: mermaid draws every bar series at the same x.
    expect(barSeries(chart)).toEqual([[20, 36, 2, 0]])
    expect(chart).toMatch(/^ {2}bar \[/m)
    expect(chart).toContain('title "Snapshots per region"')
    expect(chart).toContain('y-axis "snapshots" 0 --> 40')
  })
  it('draws a reference as a line over the bars, not as a second bar', () => {
    const chart = barAndLineChart({
      title: 'Median duration',
      unit: 'ms',
      items: ['Q1', 'Q2'],
      bars: { name: 'this run', values: [24.2, 12.8] },
      line: { name: 'baseline', values: [30.6, 10.1] },
    })!
    expect(barSeries(chart)).toEqual([[24.2, 12.8]])
    expect(chart).toContain('  line "baseline" [30.6, 10.1]')
    expect(chart).toContain('y-axis "ms" 0 --> 40')
  })
  it('draws no chart where it would say nothing', () => {
    const one = { title: 't', unit: 'u', items: ['us-east-1'], series: { name: 's', values: [3] } }
    expect(barChart(one)).toBeUndefined()
    expect(
      barChart({
        title: 't',
        unit: '%',
        items: ['a', 'b', 'c'],
        series: { name: 'healthy', values: [100, 100, 100] },
      }),
    ).toBeUndefined()
    expect(
      groupedBarChart({
        title: 't',
        unit: 'u',
        items: ['a'],
        series: [
          { name: 'x', values: [1] },
          { name: 'y', values: [2] },
        ],
      }),
    ).toBeUndefined()
    expect(barChart({ ...one, items: ['a', 'b'], series: { name: 's', values: [1, 2] } })).toBeDefined()
  })
  it('shortens long axis labels to keys and keeps short ones', () => {
    expect(axisLabels(['01-revenue-flat-surrogate-keys', '02-x'], 'Q')).toEqual(['Q1', 'Q2'])
    expect(axisLabels(['us-east-1', 'eu-west-1'], 'R')).toEqual(['us-east-1', 'eu-west-1'])
  })
})

describe('elapsed-time gantt', () => {
  const bars = [
    {
      section: 'canary',
      label: 'us-east-1',
      startMs: 1_700_000_001_000,
      endMs: 1_700_000_013_000,
      state: 'done' as const,
    },
    {
      section: 'regions',
      label: 'eu-west-1',
      startMs: 1_700_000_013_000,
      endMs: 1_700_000_040_000,
      state: 'crit' as const,
    },
  ]
  it('places bars in milliseconds from the run start, not at clock times', () => {
    const chart = elapsedGantt('Regions', bars, 1_700_000_000_000)!
    expect(chart).toContain('us-east-1 :done, b0, 1000, 13000')
    expect(chart).toContain('eu-west-1 :crit, b1, 13000, 40000')
    expect(chart).toContain('section regions')
  })
  it('labels the axis in seconds since the start with timezone-free formats and ticks', () => {
    const chart = elapsedGantt('Regions', bars, 1_700_000_000_000)!
    expect(chart).toContain('dateFormat x')
    expect(chart).toContain('axisFormat %s')
    expect(chart).toContain('tickInterval 5000millisecond')
    expect(chart).toContain('title Regions, seconds from the start')
    expect(chart).not.toMatch(/%[HMSIp]/)
  })
  it('switches to milliseconds for a run shorter than a few seconds', () => {
    const chart = elapsedGantt('Drill', [{ section: 'Drill', label: 'Failover', startMs: 10, endMs: 151 }])!
    expect(chart).toContain('axisFormat %Q')
    expect(chart).toContain('tickInterval 20millisecond')
    expect(chart).toContain('title Drill, milliseconds from the start')
    expect(chart).toContain('Failover :b0, 0, 141')
  })
  it('gives a zero-length bar a visible width and draws nothing for no bars', () => {
    expect(elapsedGantt('x', [{ section: 's', label: 'l', startMs: 5, endMs: 5 }])).toContain('l :b0, 0, 1')
    expect(elapsedGantt('x', [])).toBeUndefined()
  })
})

describe('foreign text in markdown', () => {
  const foreign = 'denied <img src=x onerror=alert(1)> by @octo-org/admins | `code` *now*\nnext line'
  it('a table cell: no HTML, no mention, no way out of the cell or the row', () => {
    const table = markdownTable(['Region', 'Reason'], [['eu-west-1', foreign]])
    const row = table.split('\n')[2]!
    expect(table.split('\n')).toHaveLength(3)
    expect(row).not.toContain('<img')
    expect(row).not.toMatch(/@octo-org/)
    expect(row).toContain('@\u200bocto-org/admins')
    // Two cells: every | but the row's own is escaped.
    expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(4)
    expect(row).toContain('&lt;img src=x onerror=alert(1)> by')
  })
  it('plain text: no HTML, mention, emphasis, link or code, on one line', () => {
    expect(markdownText(foreign)).toBe(
      'denied &lt;img src=x onerror=alert(1)> by @\u200bocto-org/admins \\| \\`code\\` \\*now\\* next line',
    )
    expect(markdownText('[click](https://example.com)')).toBe('\\[click\\](https://example.com)')
  })
  it('a code span holds any text, backticks and all', () => {
    expect(codeSpan('Properties.Name')).toBe('`Properties.Name`')
    expect(codeSpan('a `b` c')).toBe('``a `b` c``')
    expect(codeSpan('`x``')).toBe('``` `x`` ```')
    expect(codeSpan('one\ntwo')).toBe('`one two`')
  })
  it('the outcome sentence quotes a reason without HTML or mention', () => {
    expect(outcomeLine('Deploy', 'failed', 'Queue: <b>denied</b> @octo-org/admins\n::warning::y')).toBe(
      '## ❌ Deploy failed: Queue: &lt;b>denied&lt;/b> @\u200bocto-org/admins ::warning::y',
    )
  })
})
