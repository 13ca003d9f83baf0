import { readCfnYaml } from '../../lib/cfn-yaml.js'

/**
 * What CloudFormation does with `AWS::NoValue` inside a list, which moto does not:
 * "AWS::NoValue: Removes the corresponding resource property when specified as a
 * return value in the Fn::If intrinsic function" (CloudFormation User Guide, pseudo
 * parameters reference), and a list element whose Fn::If returns it is left out of
 * the list. moto keeps such an element as null, so a policy with an optional
 * statement reaches IAM as `"Statement": [..., null]` and is refused as malformed.
 *
 * `expandNoValueLists` reads a template (YAML with the short-form tags, or JSON)
 * and rewrites every list that holds `Fn::If [c, x, AWS::NoValue]` elements into an
 * equivalent Fn::If over its variants (`Fn::If [c, [..., x, ...], [..., ...]]`),
 * which moto evaluates correctly. It returns the template as JSON for
 * CreateStack's TemplateBody. Simpler than CloudFormation: only the false branch
 * may be AWS::NoValue, and a list may hold at most 4 such elements.
 */
export function expandNoValueLists(templateBody: string): string {
  return JSON.stringify(rewrite(readCfnYaml(templateBody)))
}

type Optional = { condition: unknown; value: unknown }

function optionalElement(item: unknown): Optional | undefined {
  const branches = (item as { 'Fn::If'?: unknown[] } | null)?.['Fn::If']
  if (!Array.isArray(branches) || branches.length !== 3) return undefined
  const otherwise = branches[2] as { Ref?: unknown } | null
  return otherwise?.Ref === 'AWS::NoValue' ? { condition: branches[0], value: branches[1] } : undefined
}

const DROPPED = Symbol('dropped')

/** The list as nested Fn::If over its optional elements from `from` on (with and without each). */
function expand(list: unknown[], from: number): unknown {
  const at = list.findIndex((item, i) => i >= from && optionalElement(item) !== undefined)
  if (at === -1) return list.filter((item) => item !== DROPPED)
  const { condition, value } = optionalElement(list[at])!
  const withIt = [...list.slice(0, at), value, ...list.slice(at + 1)]
  const without = [...list.slice(0, at), DROPPED, ...list.slice(at + 1)]
  return { 'Fn::If': [condition, expand(withIt, at + 1), expand(without, at + 1)] }
}

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) {
    const items = node.map(rewrite)
    const count = items.filter((item) => optionalElement(item) !== undefined).length
    if (count > 4) throw new Error('expandNoValueLists: more than 4 optional elements in one list')
    return count === 0 ? items : expand(items, 0)
  }
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewrite(v)]))
  return node
}
