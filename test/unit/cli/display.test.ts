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
