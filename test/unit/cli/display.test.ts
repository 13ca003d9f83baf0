import { Writable } from 'node:stream'
import { Masker } from '../../../cli/src/console-lines.js'
import { LiveDisplay, PlainDisplay } from '../../../cli/src/display.js'

function sink() {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk)
      done()
    },
  }) as Writable & { columns?: number; isTTY?: boolean }
  return { stream, text: () => text }
}

describe('PlainDisplay', () => {
  it('prints each line with its region prefix, annotations named, secrets masked', () => {
    const out = sink()
    const display = new PlainDisplay(out.stream, new Masker())
    display.line('::add-mask::AKIAEXAMPLE')
    display.line('[eu-west-1] Using AKIAEXAMPLE')
    display.line('::warning::[us-east-1] slow')
    display.line('::debug::hidden')
    display.line('::set-output name=a::b')
    expect(out.text()).toBe('[eu-west-1] Using ***\n[us-east-1] warning: slow\n')
  })
})

describe('LiveDisplay', () => {
  it('keeps one line per region with its latest phase and the time since its first line', () => {
    const out = sink()
    out.stream.columns = 60
    let now = 0
    const display = new LiveDisplay(
      out.stream as unknown as NodeJS.WriteStream,
      new Masker(),
      false,
      () => now,
    )
    display.line('[us-east-1] Creating change set')
    now = 1500
    display.line('[eu-west-1] Creating change set')
    now = 4000
    display.line('[us-east-1] Executing change set')
    display.line(
      '::error::[eu-west-1] CREATE_FAILED: a very long reason that does not fit in sixty columns at all',
    )
    expect(display.lines()).toEqual([
      'us-east-1    4.0s  Executing change set',
      expect.stringMatching(/^eu-west-1 {4}2\.5s {2}! CREATE_FAILED: a very long reason .*…$/),
    ])
    for (const line of display.lines()) expect(line.length).toBeLessThanOrEqual(59)
    display.finish()
    // The error also stays printed above the live lines.
    expect(out.text()).toContain('[eu-west-1] error: CREATE_FAILED')
  })
})

describe('a target record and the heartbeat', () => {
  const run = [
    '[us-east-1] Change set executed',
    'Still in progress (1): us-east-1 UPDATE_IN_PROGRESS 20s, waiting on Queue',
    '[us-east-1] UPDATE_COMPLETE AWS::CloudFormation::Stack api',
    '::group::[us-east-1] updated in 41.0 s',
    '[us-east-1] Change set executed',
    '[us-east-1] UPDATE_COMPLETE AWS::CloudFormation::Stack api',
    '::endgroup::',
    'Deploy finished',
  ]
  it('prints the record heading, not the lines already shown; the heartbeat as it came', () => {
    const out = sink()
    const display = new PlainDisplay(out.stream, new Masker())
    for (const line of run) display.line(line)
    expect(out.text().trimEnd().split('\n')).toEqual([
      '[us-east-1] Change set executed',
      'Still in progress (1): us-east-1 UPDATE_IN_PROGRESS 20s, waiting on Queue',
      '[us-east-1] UPDATE_COMPLETE AWS::CloudFormation::Stack api',
      '== [us-east-1] updated in 41.0 s',
      'Deploy finished',
    ])
  })
  it('on a terminal, ends the target live line with how the target ended', () => {
    const out = sink()
    const display = new LiveDisplay(out.stream as unknown as NodeJS.WriteStream, new Masker(), false, () => 0)
    for (const line of run) display.line(line)
    expect(display.lines()).toEqual(['us-east-1    0.0s  updated in 41.0 s'])
    display.finish()
    expect(out.text()).not.toContain('Still in progress')
  })
  it('prints foreign text on one line that starts no workflow command', () => {
    const out = sink()
    const display = new PlainDisplay(out.stream, new Masker())
    display.line('::error::[eu-west-1] Resource failed%0A::stop-commands::x%0A::warning::y')
    display.note('::warning::from stderr')
    expect(out.text()).toBe(
      '[eu-west-1] error: Resource failed\\n::stop-commands::x\\n::warning::y\n\\::warning::from stderr\n',
    )
  })
})
