import {
  escapeCell,
  markdownTable,
  mermaidBarChart,
  mermaidGantt,
  mermaidLabel,
} from '../../../lib/summary.js'

describe('markdown', () => {
  it('escapes pipes and newlines in cells', () => {
    expect(escapeCell('a|b\nc')).toBe('a\\|b<br>c')
    expect(markdownTable(['Region', 'Status'], [['us-east-1', 'ok']])).toBe(
      '| Region | Status |\n| --- | --- |\n| us-east-1 | ok |',
    )
  })
  it('keeps mermaid labels free of syntax characters', () => {
    expect(mermaidLabel('a: b; c#')).toBe('a  b  c')
  })
  it('draws a gantt in milliseconds from the first start', () => {
    const chart = mermaidGantt('Deploy', [
      { section: 'canary', label: 'us-east-1', startMs: 1000, endMs: 3000, state: 'done' },
      { section: 'rest', label: 'eu-west-1', startMs: 3000, endMs: 4000, state: 'crit' },
    ])
    expect(chart).toContain('dateFormat x')
    expect(chart).toContain('us-east-1 :done, b0, 0, 2000')
    expect(chart).toContain('section rest')
    expect(chart).toContain('eu-west-1 :crit, b1, 2000, 3000')
  })
  it('draws a bar chart with one series per line', () => {
    const chart = mermaidBarChart('Medians', ['q1', 'q2'], 'ms', [
      { name: 'baseline', values: [10, 20] },
      { name: 'current', values: [11, 19] },
    ])
    expect(chart).toContain('x-axis ["q1", "q2"]')
    expect(chart).toContain('bar [10, 20]')
    expect(chart).toContain('bar [11, 19]')
  })
})
