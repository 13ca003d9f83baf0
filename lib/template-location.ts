import { isMap, isScalar, LineCounter, parseDocument } from 'yaml'

/**
 * The 1-based line where a CloudFormation template declares `logicalId` under
 * `Resources`, for annotations that point at the failing resource. Works for
 * YAML and JSON templates (JSON is YAML); CloudFormation's short-form tags
 * (`!Ref`, `!Sub`) need no schema since only the keys are read. Undefined when
 * the resource is not there (a nested stack's resource, an unparsable file).
 */
export function logicalIdLine(template: string, logicalId: string): number | undefined {
  const lineCounter = new LineCounter()
  try {
    const doc = parseDocument(template, { lineCounter, uniqueKeys: false, strict: false })
    const resources = doc.get('Resources', true)
    if (isMap(resources)) {
      for (const pair of resources.items) {
        if (isScalar(pair.key) && String(pair.key.value) === logicalId && pair.key.range)
          return lineCounter.linePos(pair.key.range[0]).line
      }
    }
  } catch {
    // Fall back to the text below.
  }
  const escaped = logicalId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const index = template.split(/\r?\n/).findIndex((l) => new RegExp(`^\\s*["']?${escaped}["']?\\s*:`).test(l))
  return index >= 0 ? index + 1 : undefined
}
