/**
 * The template, read locally before any call: a file that is not a
 * CloudFormation template is an input error here, not eight failed
 * CreateChangeSet calls per region and a REVIEW_IN_PROGRESS stack left behind.
 */
import { parseDocument } from 'yaml'
import { CFN_YAML_TAGS } from '../../../lib/cfn-yaml.js'
import { InputError } from '../../../lib/inputs.js'
import { localArtifactReferences } from '../../../lib/package/properties.js'

export interface TemplateDocument {
  /** The parameter keys the template declares (its `Parameters` section). */
  parameters: string[]
  /** The logical ids of its resources (its `Resources` section). */
  resources: string[]
  /** Where the template names local artifacts to package (Resources.Fn.Properties.Code, ...). */
  localArtifacts: string[]
}

/** Aliases expanded at most this many times: a small template never needs more, a "billion laughs" does. */
export const MAX_ALIASES = 50

const ACCEPTED = 'a CloudFormation template (YAML or JSON) with a Resources mapping'

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!
}

/** Parses the template text and checks its shape; a template that is not one throws InputError. */
export function parseTemplate(input: string, shown: string, text: string): TemplateDocument {
  let doc: unknown
  try {
    const parsed = parseDocument(text, { customTags: CFN_YAML_TAGS, uniqueKeys: true, prettyErrors: false })
    if (parsed.errors.length > 0) throw parsed.errors[0]
    const unresolved = parsed.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED')
    if (unresolved) throw unresolved
    doc = parsed.toJS({ maxAliasCount: MAX_ALIASES })
  } catch (error) {
    throw new InputError(input, shown, `${ACCEPTED} (the file does not parse: ${firstLine(error)})`)
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InputError(input, shown, `${ACCEPTED} (the file does not hold a mapping)`)
  }
  const { Resources, Parameters } = doc as { Resources?: unknown; Parameters?: unknown }
  if (Resources === null || typeof Resources !== 'object' || Array.isArray(Resources)) {
    throw new InputError(input, shown, `${ACCEPTED} (the file has no Resources mapping)`)
  }
  const declared =
    Parameters !== null && typeof Parameters === 'object' && !Array.isArray(Parameters)
      ? Object.keys(Parameters)
      : []
  const localArtifacts = localArtifactReferences(doc).map((reference) => reference.where)
  return { parameters: declared, resources: Object.keys(Resources), localArtifacts }
}
