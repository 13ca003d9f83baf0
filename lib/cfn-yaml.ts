/**
 * CloudFormation's YAML: the short-form intrinsic function tags read as their long form
 * (`!Ref X` is `{Ref: X}`, `!GetAtt A.B` is `{'Fn::GetAtt': [A, B]}`, `!Sub s` is
 * `{'Fn::Sub': s}`), as CloudFormation itself reads them, plus the rule functions.
 */
import { parse, type CollectionTag, type ScalarTag } from 'yaml'

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

/** `!GetAtt Resource.Attribute.Part` names the resource before the first dot, the attribute after it. */
function getAtt(value: string): [string, string] {
  const dot = value.indexOf('.')
  return dot < 0 ? [value, ''] : [value.slice(0, dot), value.slice(dot + 1)]
}

function shortFormTags(): Array<ScalarTag | CollectionTag> {
  const tags: Array<ScalarTag | CollectionTag> = [
    { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
    { tag: '!Condition', resolve: (value: string) => ({ Condition: value }) },
  ]
  for (const name of FUNCTIONS) {
    const key = `Fn::${name}`
    tags.push({
      tag: `!${name}`,
      resolve: (value: string) => ({ [key]: name === 'GetAtt' ? getAtt(value) : value }),
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

/** The `customTags` option of the `yaml` package for CloudFormation templates. */
export const CFN_YAML_TAGS = shortFormTags()

/** A CloudFormation template (YAML or JSON) as plain data, short forms in their long form. */
export function readCfnYaml(text: string): unknown {
  return parse(text, { customTags: CFN_YAML_TAGS })
}
