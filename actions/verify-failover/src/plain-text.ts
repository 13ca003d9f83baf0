/**
 * Foreign text (an alarm's StateReason, written by whoever configured it) made
 * safe to print: one line, so it can never start a workflow command; no angle
 * brackets, so it opens no HTML in a summary; no `@name`, so it mentions nobody;
 * at most `max` characters.
 */
export function plainText(text: string, max = 300): string {
  const line = text
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/@(?=\w)/g, '@\u200b')
    .replace(/\s+/g, ' ')
    .trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}
