/**
 * Names that collide across regions: a resource whose name is unique in the
 * whole account (IAM) or in the whole partition (S3 buckets), given the same
 * name in every region of a deploy, is created in the first region and fails
 * in every other ("Role with name ... already exists"). Found in the template,
 * before any change set. Pure functions: the template text and the targets in,
 * the collisions out.
 */
import { readCfnYaml } from '../../../lib/cfn-yaml.js'
import type { ParameterMap } from '../../../lib/cloudformation-inputs.js'
import { InputError } from '../../../lib/inputs.js'
import type { SourceLocation } from '../../../lib/log.js'
import { logicalIdLine } from '../../../lib/template-location.js'
import { targetLabel, type Target } from '../../../lib/targets.js'
import type { Settings } from './model.js'

/** Where a name must be unique: within an account, or across all accounts. */
type Scope = 'account' | 'partition'

interface GlobalName {
  /** The property that holds the name, `.` between nested properties. */
  property: string
  scope: Scope
  /** Why the name is global, for the message. */
  why: string
  /** What a second one does, when it is not a failure. */
  consequence?: string
  /** A property whose presence makes the name regional (a private hosted zone's VPCs). */
  unlessProperty?: string
  /** The fix, where a name per region is not one (a domain name). */
  fix?: string
}

const ONE_REGION =
  "make it in one region only: a Condition such as !Equals [!Ref 'AWS::Region', us-east-1] on the resource, or a stack of its own"

const IAM = 'IAM names are unique within the account, in every region'
const CLOUDFRONT = 'CloudFront is a global service: its names are unique within the account'

/**
 * Account-global (or partition-global) resource types and the property that names
 * them; the list and its reasons in one place.
 */
export const GLOBAL_NAMES: Readonly<Record<string, GlobalName>> = {
  'AWS::IAM::Role': { property: 'RoleName', scope: 'account', why: IAM },
  'AWS::IAM::ManagedPolicy': { property: 'ManagedPolicyName', scope: 'account', why: IAM },
  'AWS::IAM::User': { property: 'UserName', scope: 'account', why: IAM },
  'AWS::IAM::Group': { property: 'GroupName', scope: 'account', why: IAM },
  'AWS::IAM::InstanceProfile': { property: 'InstanceProfileName', scope: 'account', why: IAM },
  'AWS::IAM::ServerCertificate': { property: 'ServerCertificateName', scope: 'account', why: IAM },
  'AWS::IAM::SAMLProvider': { property: 'Name', scope: 'account', why: IAM },
  'AWS::IAM::OIDCProvider': {
    property: 'Url',
    scope: 'account',
    why: 'an account has one IAM OIDC provider per URL, in every region',
  },
  'AWS::IAM::VirtualMFADevice': { property: 'VirtualMfaDeviceName', scope: 'account', why: IAM },
  'AWS::S3::Bucket': {
    property: 'BucketName',
    scope: 'partition',
    why: 'S3 bucket names are unique across all accounts and regions',
  },
  'AWS::S3::MultiRegionAccessPoint': {
    property: 'Name',
    scope: 'account',
    why: 'Multi-Region Access Point names are unique within the account',
  },
  'AWS::CloudFront::CachePolicy': { property: 'CachePolicyConfig.Name', scope: 'account', why: CLOUDFRONT },
  'AWS::CloudFront::OriginRequestPolicy': {
    property: 'OriginRequestPolicyConfig.Name',
    scope: 'account',
    why: CLOUDFRONT,
  },
  'AWS::CloudFront::ResponseHeadersPolicy': {
    property: 'ResponseHeadersPolicyConfig.Name',
    scope: 'account',
    why: CLOUDFRONT,
  },
  'AWS::CloudFront::OriginAccessControl': {
    property: 'OriginAccessControlConfig.Name',
    scope: 'account',
    why: CLOUDFRONT,
  },
  'AWS::CloudFront::Function': { property: 'Name', scope: 'account', why: CLOUDFRONT },
  'AWS::CloudFront::KeyGroup': { property: 'KeyGroupConfig.Name', scope: 'account', why: CLOUDFRONT },
  'AWS::CloudFront::PublicKey': { property: 'PublicKeyConfig.Name', scope: 'account', why: CLOUDFRONT },
  'AWS::CloudFront::KeyValueStore': { property: 'Name', scope: 'account', why: CLOUDFRONT },
  'AWS::CloudFront::Distribution': {
    property: 'DistributionConfig.Aliases',
    scope: 'partition',
    why: 'an alternate domain name (CNAME) belongs to one CloudFront distribution across all accounts',
    fix: ONE_REGION,
  },
  'AWS::Route53::HostedZone': {
    property: 'Name',
    scope: 'account',
    why: 'Route 53 is a global service',
    consequence:
      'each region would create another public hosted zone of that name, with its own name servers, and only one can be delegated to',
    unlessProperty: 'VPCs',
    fix: ONE_REGION,
  },
}

/** What a target's names are made of besides its region and account: the stack name and parameters. */
export interface NameContext {
  stackName: string
  parameters: ParameterMap
  regionParameters: Record<string, ParameterMap>
}

export interface NameCollision {
  logicalId: string
  type: string
  property: string
  why: string
  /** The name, when the template writes it (a name from a parameter is not quoted: it may be secret). */
  name?: string
  /** The parameter the name comes from, when it does. */
  parameter?: string
  /** The targets that would share the name. */
  targets: string[]
  consequence?: string
  fix?: string
}

/** A value that cannot be known before the stack exists (an attribute, an import, a condition). */
const UNKNOWN = Symbol('unknown')
type Value = string | typeof UNKNOWN

interface Where {
  target: Target
  context: NameContext
  mappings: Record<string, unknown>
  /** The template's parameter defaults. */
  defaults: ParameterMap
}

function pseudo(name: string, scope: Where): Value {
  switch (name) {
    case 'AWS::Region':
      return scope.target.region
    case 'AWS::AccountId':
      // The job's own account is one account: any fixed placeholder tells targets apart by account.
      return scope.target.account ?? '(account)'
    case 'AWS::StackName':
      return scope.context.stackName
    case 'AWS::Partition':
    case 'AWS::URLSuffix':
      return `(${name})`
    default:
      return UNKNOWN
  }
}

function ref(name: string, scope: Where): Value {
  if (name.startsWith('AWS::')) return pseudo(name, scope)
  const { parameters, regionParameters } = scope.context
  return regionParameters[scope.target.region]?.[name] ?? parameters[name] ?? scope.defaults[name] ?? UNKNOWN
}

function sub(text: string, vars: Record<string, unknown>, scope: Where): Value {
  let unknown = false
  const out = text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`
    const value = name in vars ? evaluate(vars[name], scope) : name.includes('.') ? UNKNOWN : ref(name, scope)
    if (value === UNKNOWN) unknown = true
    return value === UNKNOWN ? whole : value
  })
  return unknown ? UNKNOWN : out
}

/** The value a template expression has in one target, or UNKNOWN. */
function evaluate(node: unknown, scope: Where): Value {
  if (typeof node === 'string') return node
  if (typeof node === 'number' || typeof node === 'boolean') return String(node)
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return UNKNOWN
  const entries = Object.entries(node)
  if (entries.length !== 1) return UNKNOWN
  const [fn, arg] = entries[0]!
  if (fn === 'Ref' && typeof arg === 'string') return ref(arg, scope)
  if (fn === 'Fn::Sub') {
    if (typeof arg === 'string') return sub(arg, {}, scope)
    if (Array.isArray(arg) && typeof arg[0] === 'string' && arg[1] && typeof arg[1] === 'object')
      return sub(arg[0], arg[1] as Record<string, unknown>, scope)
    return UNKNOWN
  }
  if (fn === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1])) {
    const parts = (arg[1] as unknown[]).map((part) => evaluate(part, scope))
    return parts.includes(UNKNOWN) ? UNKNOWN : parts.join(arg[0])
  }
  if (fn === 'Fn::FindInMap' && Array.isArray(arg) && arg.length === 3) {
    const keys = (arg as unknown[]).map((k) => evaluate(k, scope))
    if (keys.includes(UNKNOWN)) return UNKNOWN
    const [map, top, second] = keys as string[]
    const found = (scope.mappings[map!] as Record<string, Record<string, unknown>> | undefined)?.[top!]?.[
      second!
    ]
    return typeof found === 'string' || typeof found === 'number' ? String(found) : UNKNOWN
  }
  return UNKNOWN
}

function propertyAt(properties: unknown, path: string): unknown {
  let node = properties
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

function parameterDefaults(declared: unknown): ParameterMap {
  const defaults: ParameterMap = {}
  if (declared === null || typeof declared !== 'object') return defaults
  for (const [key, value] of Object.entries(declared as Record<string, unknown>)) {
    const given = (value as { Default?: unknown } | null)?.Default
    if (typeof given === 'string' || typeof given === 'number') defaults[key] = String(given)
  }
  return defaults
}

/** The parameter a name is only a Ref of, when it is one. */
function parameterOf(node: unknown): string | undefined {
  const name = (node as { Ref?: unknown } | null)?.Ref
  return typeof name === 'string' && !name.startsWith('AWS::') ? name : undefined
}

/**
 * The resources whose account- or partition-global name is the same in two or
 * more targets that share that scope. A name that cannot be known before the
 * deploy (an attribute, an import, a condition) is left alone; so is a resource
 * under a Condition, which may be made in one region only.
 */
export function nameCollisions(
  templateText: string,
  targets: readonly Target[],
  context: NameContext,
): NameCollision[] {
  if (targets.length < 2) return []
  let doc: { Resources?: unknown; Mappings?: unknown; Parameters?: unknown }
  try {
    doc = readCfnYaml(templateText) as typeof doc
  } catch {
    return []
  }
  const resources = doc?.Resources
  if (resources === null || typeof resources !== 'object') return []
  const mappings = (doc.Mappings && typeof doc.Mappings === 'object' ? doc.Mappings : {}) as Record<
    string,
    unknown
  >
  const defaults = parameterDefaults(doc.Parameters)
  const found: NameCollision[] = []
  for (const [logicalId, resource] of Object.entries(resources as Record<string, unknown>)) {
    const collision = collisionOf(logicalId, resource, targets, { context, mappings, defaults })
    if (collision) found.push(collision)
  }
  return found
}

/** The known values of a name property in one target: a list (CloudFront aliases) gives each of its items. */
function valuesIn(node: unknown, where: Where): string[] {
  const values = Array.isArray(node) ? node.map((item) => evaluate(item, where)) : [evaluate(node, where)]
  return values.filter((v): v is string => v !== UNKNOWN)
}

function collisionOf(
  logicalId: string,
  resource: unknown,
  targets: readonly Target[],
  template: Omit<Where, 'target'>,
): NameCollision | undefined {
  const {
    Type: type,
    Properties: properties,
    Condition: condition,
  } = (resource ?? {}) as Record<string, unknown>
  const global = typeof type === 'string' ? GLOBAL_NAMES[type] : undefined
  // A resource under a Condition may be made in one region only.
  if (!global || condition !== undefined) return undefined
  if (global.unlessProperty && propertyAt(properties, global.unlessProperty) !== undefined) return undefined
  const node = propertyAt(properties, global.property)
  if (node === undefined) return undefined
  const byName = new Map<string, string[]>()
  for (const target of targets) {
    for (const value of new Set(valuesIn(node, { ...template, target }))) {
      // IAM names are "not distinguished by case".
      const key = `${global.scope === 'account' ? (target.account ?? '') : ''}\n${value.toLowerCase()}`
      byName.set(key, [...(byName.get(key) ?? []), targetLabel(target)])
    }
  }
  const shared = [...byName.values()].find((labels) => labels.length > 1)
  if (!shared) return undefined
  const parameter = parameterOf(node)
  return {
    logicalId,
    type: type as string,
    property: global.property,
    why: global.why,
    ...(typeof node === 'string' ? { name: node } : {}),
    ...(parameter ? { parameter } : {}),
    targets: shared,
    ...(global.consequence ? { consequence: global.consequence } : {}),
    ...(global.fix ? { fix: global.fix } : {}),
  }
}

/** The sentence that names a collision and its fix. */
export function describeCollision(c: NameCollision): string {
  const what = c.name !== undefined ? `'${c.name}'` : c.parameter ? `from parameter ${c.parameter}` : 'built'
  const sub = c.name !== undefined ? `!Sub '${c.name}-\${AWS::Region}'` : `!Sub '<name>-\${AWS::Region}'`
  const fix =
    c.fix ??
    `give it a name per region, e.g. ${c.property}: ${sub}, or leave ${c.property} out and let CloudFormation name it`
  const consequence = c.consequence ?? 'the deploy would fail in every region but the first'
  return `${c.logicalId} (${c.type}) has the same ${c.property} ${what} in ${c.targets.join(', ')}: ${c.why}, so ${consequence}. To fix it, ${fix}`
}

/**
 * The refusal of a deploy whose names collide across its targets: one annotation
 * per resource, on its template line, and the InputError (exit 2) that stops the
 * run before any AWS call. Undefined when nothing collides (or the template is
 * not a local file).
 */
export function collisionRefusal(
  settings: Settings,
): { annotations: Array<{ message: string; location: SourceLocation }>; error: InputError } | undefined {
  const { template } = settings
  if (template.kind !== 'file') return undefined
  const collisions = nameCollisions(template.body, settings.targets, settings)
  if (collisions.length === 0) return undefined
  const annotations = collisions.map((c) => {
    const line = logicalIdLine(template.body, c.logicalId)
    return { message: describeCollision(c), location: { file: template.input, ...(line ? { line } : {}) } }
  })
  const names = collisions.map((c) => `${c.logicalId} (${c.type})`).join(', ')
  const error = new InputError(
    'template',
    template.input,
    `a template whose account-global names differ per region when it is deployed to several regions of one account; ${names} would have the same name in each, e.g. \${AWS::Region} in the name`,
  )
  return { annotations, error }
}
