/**
 * Splits SQL text into statements at semicolons that are not inside quotes
 * ('...', "..."), dollar quotes ($$...$$, $tag$...$tag$) or comments (--, /* *\/).
 * Statements that hold only comments and blanks are dropped.
 */
export function splitStatements(text: string): string[] {
  const out: string[] = []
  let current = ''
  let meaningful = false
  let i = 0
  const push = () => {
    if (meaningful) out.push(current.trim())
    current = ''
    meaningful = false
  }
  while (i < text.length) {
    const ch = text[i]!
    const rest = text.slice(i)
    if (rest.startsWith('--')) {
      const end = text.indexOf('\n', i)
      const stop = end === -1 ? text.length : end
      current += text.slice(i, stop)
      i = stop
    } else if (rest.startsWith('/*')) {
      const end = text.indexOf('*/', i + 2)
      const stop = end === -1 ? text.length : end + 2
      current += text.slice(i, stop)
      i = stop
    } else if (ch === "'" || ch === '"') {
      let j = i + 1
      for (;;) {
        const k = text.indexOf(ch, j)
        if (k === -1) {
          j = text.length
          break
        }
        if (text[k + 1] === ch) {
          j = k + 2
          continue
        }
        j = k + 1
        break
      }
      current += text.slice(i, j)
      meaningful = true
      i = j
    } else if (ch === '$' && /^\$[A-Za-z_]*\$/.test(rest)) {
      const tag = /^\$[A-Za-z_]*\$/.exec(rest)![0]
      const end = text.indexOf(tag, i + tag.length)
      const stop = end === -1 ? text.length : end + tag.length
      current += text.slice(i, stop)
      meaningful = true
      i = stop
    } else if (ch === ';') {
      push()
      i++
    } else {
      if (!/\s/.test(ch)) meaningful = true
      current += ch
      i++
    }
  }
  push()
  return out
}

/** Escapes a value for a single-quoted SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}
