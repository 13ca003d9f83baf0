/**
 * Text written by others (stack event reasons, AWS and database error messages,
 * template and parameter content, drift values) made safe to print in a job log.
 *
 * The runner reads every line a step prints and treats one that starts with `::`
 * (after leading white space) as a workflow command: `::stop-commands::token`
 * turns command processing off until `::token::`, after which a later
 * `::add-mask::` is printed in the clear; `::warning::`, `::error::` and
 * `::save-state` can be forged the same way. The older `##[command]` form is
 * looked for anywhere in a line. So foreign text is printed on one line (its
 * line breaks shown as `\n`, `\r`), never starts with `::`, and never holds
 * `##[`. Other control characters are shown escaped too: an escape sequence
 * could redraw a terminal or hide what follows.
 */

/** Every character a reader (the runner, .NET, a terminal) may end a line at, and other controls but tab. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /\r\n|[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/g

function shown(character: string): string {
  switch (character) {
    case '\r\n':
      return '\\r\\n'
    case '\n':
      return '\\n'
    case '\r':
      return '\\r'
    default: {
      const code = character.codePointAt(0)!
      return code <= 0xff
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`
    }
  }
}

/**
 * Foreign text as one log line that cannot start a workflow command. Our own
 * text may go through it too: what is already safe comes back unchanged.
 */
export function logSafe(text: unknown): string {
  const value = typeof text === 'string' ? text : String(text)
  return value
    .replace(UNPRINTABLE, shown)
    .replace(/^(\s*)::/, '$1\\::')
    .replace(/##\[/g, '#\\#[')
}

/** True when a line printed as it is would be read by the runner as a workflow command. */
export function startsWorkflowCommand(line: string): boolean {
  return /^\s*::/.test(line) || line.includes('##[')
}
