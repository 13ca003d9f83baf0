/**
 * scripts/render-summaries.mjs (npm run render:summaries): job summaries drawn in
 * Chromium with the real mermaid. It fails on what a reader would be misled by:
 * bar series drawn over each other, a gantt axis that reads differently in another
 * timezone, a chart mermaid cannot parse; and passes the charts lib/summary.ts builds.
 */
import { spawnSync } from 'node:child_process'
import { jest } from '@jest/globals'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { barAndLineChart, elapsedGantt, groupedBarChart, renderLayout } from '../../lib/summary.js'
import { ROOT } from '../unit/repo/workflow-files.js'

const SCRIPT = join(ROOT, 'scripts', 'render-summaries.mjs')

function render(files: Record<string, string>): { status: number | null; output: string; pngs: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'render-test-'))
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
    const r = spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8', timeout: 120_000 })
    const png = join(dir, 'png')
    return {
      status: r.status,
      output: `${r.stdout}${r.stderr}`,
      pngs: existsSync(png) ? readdirSync(png).sort() : [],
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const OVERLAPPING = [
  '```mermaid',
  'xychart-beta',
  '  x-axis ["a", "b"]',
  '  y-axis "n" 0 --> 10',
  '  bar [5, 6]',
  '  bar [3, 4]',
  '```',
].join('\n')

const CLOCK_GANTT = [
  '```mermaid',
  'gantt',
  '  dateFormat x',
  '  axisFormat %M:%S',
  '  section s',
  '  one :done, b0, 0, 2000',
  '```',
].join('\n')

describe('render-summaries', () => {
  jest.setTimeout(180_000)

  it('fails on bars drawn over each other, clock-time axes and parse errors', () => {
    const r = render({
      'bars.md': OVERLAPPING,
      'gantt.md': CLOCK_GANTT,
      'broken.md': '```mermaid\nxychart-beta\n  bar [1, 2\n```',
    })
    expect(r.status).toBe(1)
    expect(r.output).toMatch(/FAIL bars\.md .*\n\s+chart 1: bars of bar-plot-0 and bar-plot-1 overlap/)
    expect(r.output).toMatch(/FAIL gantt\.md .*\n\s+gantt 1: axis reads .* in UTC but .* in Asia\/Kolkata/)
    expect(r.output).toMatch(/FAIL broken\.md .*\n\s+chart 1: Parse error/)
    expect(r.pngs).toEqual(['bars.png', 'broken.png', 'gantt.png'])
  })

  it('passes the layout and the charts lib/summary.ts builds', () => {
    const start = 1_700_000_000_000
    const md = renderLayout({
      title: 'Check',
      outcome: 'warning',
      sentence: 'One region was slow.',
      details: [
        groupedBarChart({
          title: 'Snapshots',
          unit: 'snapshots',
          items: ['eu-west-1', 'us-east-1'],
          series: [
            { name: 'kept', values: [20, 4] },
            { name: 'deleted', values: [36, 0] },
          ],
        }),
        barAndLineChart({
          title: 'Median',
          unit: 'ms',
          items: ['Q1', 'Q2'],
          bars: { name: 'this run', values: [24, 12] },
          line: { name: 'baseline', values: [30, 10] },
        }),
        elapsedGantt('Regions', [
          { section: 'canary', label: 'us-east-1', startMs: start, endMs: start + 12_500, state: 'done' },
          { section: 'regions', label: 'eu-west-1', startMs: start + 12_500, endMs: start + 40_000 },
        ]),
        elapsedGantt('Drill', [{ section: 'Drill', label: 'Failover', startMs: start, endMs: start + 141 }]),
      ],
    })
    const r = render({ 'layout.md': md })
    expect(r.output).toContain('ok   layout.md')
    expect(r.status).toBe(0)
    expect(r.pngs).toEqual(['layout.png'])
  })
})
