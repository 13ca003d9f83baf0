import type { ActionMetadata } from './metadata.js'

const WIDTH = 100

/** Joins words that must stay on one line (a default and its label). */
const GLUE = '\u0000'

/** Words of `text` on lines of at most `width` characters, each after `indent`. */
function wrap(text: string, indent: string, width = WIDTH): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(indent + line)
  return lines.map((l) => l.split(GLUE).join(' '))
}

/** A two-column list: each name, then its text wrapped beside it. */
function table(rows: Array<[string, string]>): string[] {
  const width = Math.min(30, Math.max(...rows.map(([name]) => name.length)) + 2)
  const out: string[] = []
  for (const [name, text] of rows) {
    const body = wrap(text, ' '.repeat(2 + width))
    const first = `  ${name.padEnd(width)}${(body[0] ?? '').trimStart()}`
    if (name.length + 2 > width) out.push(`  ${name}`, ...body)
    else out.push(first, ...body.slice(1))
  }
  return out
}

/** `multi-region-actions <action> --help`, generated from the action's action.yml. */
export function actionHelp(metadata: ActionMetadata): string {
  const inputs = Object.entries(metadata.inputs).map(([name, spec]): [string, string] => {
    const notes = [
      spec.required ? '(required)' : '',
      spec.default !== '' ? `(default:${GLUE}${spec.default})` : '',
    ]
    return [`--${name} <value>`, [spec.description, ...notes].filter(Boolean).join(' ')]
  })
  const outputs = Object.entries(metadata.outputs).map(([name, text]): [string, string] => [name, text])
  return [
    `Usage: multi-region-actions ${metadata.name} [--<input> <value>]... [--json] [--summary FILE]`,
    '',
    `${metadata.title}.`,
    ...wrap(metadata.description, ''),
    '',
    'Inputs (the inputs of actions/' + metadata.name + '/action.yml; an input left out takes its default):',
    ...table(inputs),
    '',
    'Outputs (printed at the end; with --json as one JSON object on stdout):',
    ...table(outputs),
    '',
    'Options:',
    ...table([
      ['--json', 'Print the outputs as one JSON object on stdout; the log goes to stderr.'],
      ['--summary FILE', 'Write the job summary (markdown) to FILE.'],
      ['-h, --help', 'Show this help.'],
    ]),
    '',
    'Exit codes: 0 success, 1 the run failed, 2 bad input (an unknown flag or an invalid value).',
    '',
  ].join('\n')
}

/** `multi-region-actions --help`: the actions and how to ask each for its inputs. */
export function overviewHelp(actions: readonly ActionMetadata[]): string {
  return [
    'Usage: multi-region-actions <action> [--<input> <value>]... [--json] [--summary FILE]',
    '',
    "Runs one of the toolkit's GitHub actions outside GitHub Actions (a laptop, another CI system),",
    'with the same inputs, defaults, validation and code as in a workflow.',
    '',
    'Actions:',
    ...table(actions.map((a) => [a.name, a.title])),
    '',
    "Run 'multi-region-actions <action> --help' for an action's inputs and outputs.",
    'AWS credentials and region come from the usual AWS environment (AWS_PROFILE, AWS_REGION, ...).',
    '',
  ].join('\n')
}
