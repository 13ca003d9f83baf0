/**
 * The template, read locally before any call: a file that is not a
 * CloudFormation template is an input error here, not eight failed
 * CreateChangeSet calls per region and a REVIEW_IN_PROGRESS stack left behind.
 */
import { parseDocument, type CollectionTag, type ScalarTag } from 'yaml'
import { InputError } from '../../../lib/inputs.js'

export interface TemplateDocument {
  /** The parameter keys the template declares (its `Parameters` section). */
  parameters: string[]
  /** The logical ids of its resources (its `Resources` section). */
  resources: string[]
}

/**
 * CloudFormation's short-form intrinsic function tags (`!Ref X` is `{Ref: X}`;
 * `!GetAtt A.B` is `{'Fn::GetAtt': [A, B]}`), plus the rule functions.
 */
const FUNCTIONS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Length',
  'ToJsonString',
  'ForEach',
  'Contains',
  'EachMemberEquals',
  'EachMemberIn',
  'RefAll',
  'ValueOf',
  'ValueOfAll',
  'Implies',
]

function shortFormTags(): Array<ScalarTag | CollectionTag> {
  const tags: Array<ScalarTag | CollectionTag> = [
    { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
    { tag: '!Condition', resolve: (value: string) => ({ Condition: value }) },
  ]
  for (const name of FUNCTIONS) {
    const key = `Fn::${name}`
    tags.push({
      tag: `!${name}`,
      resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }),
    })
    for (const collection of ['seq', 'map'] as const) {
      tags.push({
        tag: `!${name}`,
        collection,
        resolve: (node) => ({ [key]: node.toJSON() as unknown }),
      } as CollectionTag)
    }
  }
  return tags
}

const TAGS = shortFormTags()

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
    const parsed = parseDocument(text, { customTags: TAGS, uniqueKeys: true, prettyErrors: false })
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
  return { parameters: declared, resources: Object.keys(Resources) }
}
