import { readFileSync } from 'node:fs'
import { readCfnYaml } from '../../lib/cfn-yaml.js'

/**
 * A template resolved as CloudFormation resolves it, for tests that judge what the
 * template makes rather than what moto makes of it (moto skips resources in templates
 * full of conditions, and keeps `AWS::NoValue` list elements as nulls).
 *
 * Follows the CloudFormation User Guide's intrinsic function reference: parameters take
 * the given value or their `Default` (a `CommaDelimitedList` is split on commas);
 * `Conditions` are evaluated once; a resource, output or list element whose condition is
 * false, or whose `Fn::If` gives `AWS::NoValue`, is left out. Supports Ref, Fn::Sub (both
 * forms), Fn::If, Fn::Join, Fn::Split, Fn::Select, Fn::GetAtt (`Arn` of IAM roles and
 * policies), Fn::Equals/Not/And/Or and Condition. Simpler than CloudFormation: `Ref` of a
 * managed policy or OIDC provider gives an ARN built from its logical id, and a string
 * policy document is parsed as JSON. Rules are checked by `brokenRules` (Fn::Contains and
 * Fn::EachMemberEquals of the rule functions).
 */
export type Resolved = {
  parameters: Record<string, string | string[]>
  conditions: Record<string, boolean>
  resources: Record<string, { Type: string; Properties: Record<string, unknown> }>
}

type Template = {
  Parameters?: Record<string, { Type: string; Default?: string | number }>
  Rules?: Record<string, { RuleCondition?: unknown; Assertions: Array<{ Assert: unknown }> }>
  Conditions?: Record<string, unknown>
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>
}

const NO_VALUE = Symbol('AWS::NoValue')

export const ACCOUNT = '123456789012'
const PSEUDO: Record<string, string> = {
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::StackName': 'github-oidc',
  'AWS::URLSuffix': 'amazonaws.com',
}

export function readTemplate(path: string): Template {
  return readCfnYaml(readFileSync(path, 'utf8')) as Template
}

function parameterValues(
  template: Template,
  given: Record<string, string>,
): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {}
  for (const [name, declared] of Object.entries(template.Parameters ?? {})) {
    const raw = given[name] ?? (declared.Default === undefined ? undefined : String(declared.Default))
    if (raw === undefined) throw new Error(`parameter ${name} has no value and no default`)
    values[name] = declared.Type === 'CommaDelimitedList' ? raw.split(',').map((s) => s.trim()) : raw
  }
  for (const name of Object.keys(given))
    if (!(name in values)) throw new Error(`parameter ${name} is not declared by the template`)
  return values
}

class Resolver {
  constructor(
    private readonly template: Template,
    readonly parameters: Record<string, string | string[]>,
    readonly conditions: Record<string, boolean> = {},
  ) {}

  condition(name: string): boolean {
    if (!(name in this.conditions)) {
      const body = this.template.Conditions?.[name]
      if (body === undefined) throw new Error(`unknown condition ${name}`)
      this.conditions[name] = Boolean(this.value(body))
    }
    return this.conditions[name]!
  }

  ref(name: string): unknown {
    if (name === 'AWS::NoValue') return NO_VALUE
    if (name in PSEUDO) return PSEUDO[name]
    if (name in this.parameters) return this.parameters[name]
    const resource = this.template.Resources[name]
    if (!resource) throw new Error(`Ref of unknown ${name}`)
    const properties = resource.Properties ?? {}
    switch (resource.Type) {
      case 'AWS::IAM::Role':
        return this.value(properties.RoleName ?? name)
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${ACCOUNT}:policy/${name}`
      case 'AWS::IAM::OIDCProvider':
        return `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`
      default:
        return name
    }
  }

  getAtt(name: string, attribute: string): unknown {
    const resource = this.template.Resources[name]
    if (resource?.Type === 'AWS::IAM::Role' && attribute === 'Arn')
      return `arn:aws:iam::${ACCOUNT}:role/${this.ref(name) as string}`
    throw new Error(`Fn::GetAtt ${name}.${attribute} is not supported`)
  }

  sub(text: string, variables: Record<string, unknown>): string {
    return text.replace(/\$\{([^}!]+)\}/g, (whole, key: string) => {
      if (key in variables) return String(this.value(variables[key]))
      if (key.includes('.')) {
        const [name, attribute] = key.split('.', 2) as [string, string]
        return String(this.getAtt(name, attribute))
      }
      if (key in PSEUDO || key in this.parameters || key in this.template.Resources) {
        const value = this.ref(key)
        return Array.isArray(value) ? value.join(',') : String(value)
      }
      // ${aws:userid} and other policy variables stay as they are.
      return whole
    })
  }

  value(node: unknown): unknown {
    if (Array.isArray(node)) return node.map((n) => this.value(n)).filter((n) => n !== NO_VALUE)
    if (!node || typeof node !== 'object') return node
    const entries = Object.entries(node as Record<string, unknown>)
    if (entries.length === 1) {
      const [key, arg] = entries[0]!
      const args = arg as unknown[]
      switch (key) {
        case 'Ref':
          return this.ref(arg as string)
        case 'Condition':
          return this.condition(arg as string)
        case 'Fn::If':
          return this.value(this.condition(args[0] as string) ? args[1] : args[2])
        case 'Fn::Equals':
          return String(this.value(args[0])) === String(this.value(args[1]))
        case 'Fn::Not':
          return !this.value(args[0])
        case 'Fn::And':
          return args.every((a) => this.value(a))
        case 'Fn::Or':
          return args.some((a) => this.value(a))
        // Rule functions (Rules take no others).
        case 'Fn::Contains':
          return (this.value(args[0]) as unknown[]).map(String).includes(String(this.value(args[1])))
        case 'Fn::EachMemberEquals':
          return (this.value(args[0]) as unknown[]).every((v) => String(v) === String(this.value(args[1])))
        case 'Fn::Join':
          return (this.value(args[1]) as unknown[]).map(String).join(args[0] as string)
        case 'Fn::Split':
          return String(this.value(args[1])).split(args[0] as string)
        case 'Fn::Select': {
          const list = this.value(args[1]) as unknown[]
          const index = Number(this.value(args[0]))
          if (index >= list.length) throw new Error(`Fn::Select ${index} out of ${list.length}`)
          return list[index]
        }
        case 'Fn::Sub':
          return typeof arg === 'string'
            ? this.sub(arg, {})
            : this.sub(args[0] as string, args[1] as Record<string, unknown>)
        case 'Fn::GetAtt':
          return this.getAtt(args[0] as string, args[1] as string)
      }
    }
    const out: Record<string, unknown> = {}
    for (const [key, child] of entries) {
      const v = this.value(child)
      if (v !== NO_VALUE) out[key] = v
    }
    return out
  }
}

/** The template's resources as CloudFormation would create them from these parameters. */
export function resolveTemplate(template: Template, given: Record<string, string>): Resolved {
  const resolver = new Resolver(template, parameterValues(template, given))
  const resources: Resolved['resources'] = {}
  for (const [name, resource] of Object.entries(template.Resources)) {
    if (resource.Condition && !resolver.condition(resource.Condition)) continue
    const properties = resolver.value(resource.Properties ?? {}) as Record<string, unknown>
    if (typeof properties.PolicyDocument === 'string')
      properties.PolicyDocument = JSON.parse(properties.PolicyDocument) as unknown
    resources[name] = { Type: resource.Type, Properties: properties }
  }
  for (const name of Object.keys(template.Conditions ?? {})) resolver.condition(name)
  return { parameters: resolver.parameters, conditions: resolver.conditions, resources }
}

/** The names of the template's rules whose assertions fail for these parameters (CreateStack refuses them). */
export function brokenRules(template: Template, given: Record<string, string>): string[] {
  const resolver = new Resolver(template, parameterValues(template, given))
  return Object.entries(template.Rules ?? {})
    .filter(
      ([, rule]) =>
        (rule.RuleCondition === undefined || Boolean(resolver.value(rule.RuleCondition))) &&
        !rule.Assertions.every((a) => Boolean(resolver.value(a.Assert))),
    )
    .map(([name]) => name)
}

export type PolicyDocument = { Version: string; Statement: Array<Record<string, unknown>> }
export type RolePolicies = { name: string; arn: string; trust: PolicyDocument; policies: PolicyDocument[] }

/** Each role of the resolved template with its trust policy and the managed policies attached to it. */
export function rolesOf(resolved: Resolved): RolePolicies[] {
  const roles = Object.entries(resolved.resources).filter(([, r]) => r.Type === 'AWS::IAM::Role')
  return roles.map(([, role]) => {
    const name = role.Properties.RoleName as string
    const policies = Object.values(resolved.resources)
      .filter(
        (r) =>
          r.Type === 'AWS::IAM::ManagedPolicy' && ((r.Properties.Roles as string[]) ?? []).includes(name),
      )
      .map((r) => r.Properties.PolicyDocument as PolicyDocument)
    return {
      name,
      arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
      trust: role.Properties.AssumeRolePolicyDocument as PolicyDocument,
      policies,
    }
  })
}

/**
 * The template with each policy document written as a JSON string (`!Sub |` over JSON,
 * for condition keys that name a parameter) parsed into an object, the parameters
 * substituted. CloudFormation parses such a string itself; moto passes it on to IAM as a
 * JSON string literal, which IAM refuses as malformed. Used before CreateStack on moto.
 */
export function inlineStringPolicies(templateBody: string, given: Record<string, string>): string {
  const template = readCfnYaml(templateBody) as Template
  const parameters = parameterValues(template, given)
  for (const resource of Object.values(template.Resources)) {
    const document = resource.Properties?.PolicyDocument as { 'Fn::Sub'?: unknown } | undefined
    if (typeof document?.['Fn::Sub'] !== 'string') continue
    const text = document['Fn::Sub'].replace(/\$\{([^}!]+)\}/g, (whole, key: string) => {
      const value = PSEUDO[key] ?? parameters[key]
      return value === undefined ? whole : String(value)
    })
    resource.Properties!.PolicyDocument = JSON.parse(text) as unknown
  }
  return JSON.stringify(template)
}
