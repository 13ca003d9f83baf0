/**
 * The resource properties that `aws cloudformation package` packages, with the form it writes
 * back (awscli customizations/cloudformation/artifact_exporter.py, RESOURCES_EXPORT_LIST and
 * METADATA_EXPORT_LIST, and the command's documentation). One table for the packaging and for the
 * actions that must refuse local references (a stack set reads one TemplateURL in every account
 * and region). A leaf: it imports nothing, so finding local references loads no packaging code.
 */

/** How a packaged property is written back. */
export type ArtifactForm =
  /** `s3://bucket/key`, with `?versionId=` where the reader takes one (SAM's S3 URIs). */
  | { kind: 'url'; versionInUrl?: boolean }
  /** An object of bucket, key and (when the bucket is versioned) version, under these names. */
  | { kind: 'location'; bucket: string; key: string; version?: string }
  /** A nested template, packaged itself and referenced by its HTTPS URL (`?versionId=`). */
  | { kind: 'template' }

export interface PackageableProperty {
  resourceType: string
  /** The property's path under Properties (or under the Metadata entry), e.g. ['Command', 'ScriptLocation']. */
  property: readonly string[]
  form: ArtifactForm
  /** A file that is not a zip is zipped (what the service takes is a zip). A folder is always zipped. */
  zipFiles: boolean
  /** Metadata entries (AWS::ServerlessRepo::Application) instead of resources. */
  inMetadata?: boolean
  /** The service's limit on the artifact's size, and the bytes it counts. */
  limit?: { bytes: number; counts: 'unzipped' | 'file'; what: string }
}

/** Lambda quotas: "Deployment package (.zip file archive) size: 250 MB (unzipped)", layers included. */
const LAMBDA_UNZIPPED = {
  bytes: 262_144_000,
  counts: 'unzipped',
  what: "Lambda's 250 MB unzipped deployment package quota",
} as const
/** CloudFormation, CreateStack TemplateURL: "a template (max size: 1 MB)". */
const TEMPLATE_FILE = {
  bytes: 1_048_576,
  counts: 'file',
  what: "CloudFormation's 1 MB template size",
} as const

const url = { kind: 'url' } as const
/** SAM reads `?versionId=` in its S3 URIs (CodeUri, ContentUri, DefinitionUri). */
const samUrl = { kind: 'url', versionInUrl: true } as const
const lambdaCode = { kind: 'location', bucket: 'S3Bucket', key: 'S3Key', version: 'S3ObjectVersion' } as const
const bucketKeyVersion = { kind: 'location', bucket: 'Bucket', key: 'Key', version: 'Version' } as const

export const PACKAGEABLE_PROPERTIES: readonly PackageableProperty[] = [
  {
    resourceType: 'AWS::Serverless::Function',
    property: ['CodeUri'],
    form: samUrl,
    zipFiles: true,
    limit: LAMBDA_UNZIPPED,
  },
  { resourceType: 'AWS::Serverless::Api', property: ['DefinitionUri'], form: samUrl, zipFiles: false },
  { resourceType: 'AWS::Serverless::HttpApi', property: ['DefinitionUri'], form: samUrl, zipFiles: false },
  {
    resourceType: 'AWS::AppSync::GraphQLSchema',
    property: ['DefinitionS3Location'],
    form: url,
    zipFiles: false,
  },
  {
    resourceType: 'AWS::AppSync::Resolver',
    property: ['RequestMappingTemplateS3Location'],
    form: url,
    zipFiles: false,
  },
  {
    resourceType: 'AWS::AppSync::Resolver',
    property: ['ResponseMappingTemplateS3Location'],
    form: url,
    zipFiles: false,
  },
  {
    resourceType: 'AWS::AppSync::FunctionConfiguration',
    property: ['RequestMappingTemplateS3Location'],
    form: url,
    zipFiles: false,
  },
  {
    resourceType: 'AWS::AppSync::FunctionConfiguration',
    property: ['ResponseMappingTemplateS3Location'],
    form: url,
    zipFiles: false,
  },
  {
    resourceType: 'AWS::ApiGateway::RestApi',
    property: ['BodyS3Location'],
    form: bucketKeyVersion,
    zipFiles: false,
  },
  {
    resourceType: 'AWS::Lambda::Function',
    property: ['Code'],
    form: lambdaCode,
    zipFiles: true,
    limit: LAMBDA_UNZIPPED,
  },
  {
    resourceType: 'AWS::ElasticBeanstalk::ApplicationVersion',
    property: ['SourceBundle'],
    form: { kind: 'location', bucket: 'S3Bucket', key: 'S3Key' },
    zipFiles: false,
  },
  {
    resourceType: 'AWS::CloudFormation::Stack',
    property: ['TemplateURL'],
    form: { kind: 'template' },
    zipFiles: false,
    limit: TEMPLATE_FILE,
  },
  {
    resourceType: 'AWS::Serverless::Application',
    property: ['Location'],
    form: { kind: 'template' },
    zipFiles: false,
    limit: TEMPLATE_FILE,
  },
  {
    resourceType: 'AWS::Serverless::LayerVersion',
    property: ['ContentUri'],
    form: samUrl,
    zipFiles: true,
    limit: LAMBDA_UNZIPPED,
  },
  {
    resourceType: 'AWS::Lambda::LayerVersion',
    property: ['Content'],
    form: lambdaCode,
    zipFiles: true,
    limit: LAMBDA_UNZIPPED,
  },
  { resourceType: 'AWS::Glue::Job', property: ['Command', 'ScriptLocation'], form: url, zipFiles: false },
  {
    resourceType: 'AWS::StepFunctions::StateMachine',
    property: ['DefinitionS3Location'],
    form: bucketKeyVersion,
    zipFiles: false,
  },
  {
    resourceType: 'AWS::Serverless::StateMachine',
    property: ['DefinitionUri'],
    form: bucketKeyVersion,
    zipFiles: false,
  },
  {
    resourceType: 'AWS::CodeCommit::Repository',
    property: ['Code', 'S3'],
    form: { kind: 'location', bucket: 'Bucket', key: 'Key', version: 'ObjectVersion' },
    zipFiles: true,
  },
  {
    resourceType: 'AWS::ServerlessRepo::Application',
    property: ['ReadmeUrl'],
    form: url,
    zipFiles: false,
    inMetadata: true,
  },
  {
    resourceType: 'AWS::ServerlessRepo::Application',
    property: ['LicenseUrl'],
    form: url,
    zipFiles: false,
    inMetadata: true,
  },
]

/** `Fn::Transform` of `AWS::Include`: its Location parameter, a file uploaded as it is. */
export const INCLUDE_TRANSFORM: PackageableProperty = {
  resourceType: 'AWS::Include',
  property: ['Location'],
  form: url,
  zipFiles: false,
}

/** Where a local reference sits in a template, as a user reads it. */
export interface LocalReference {
  /** The logical id, the Metadata entry, or `AWS::Include`. */
  resource: string
  /** Resources.<id>.Properties.Code, Metadata.AWS::ServerlessRepo::Application.ReadmeUrl, ... */
  where: string
  /** The local path as written. */
  path: string
  entry: PackageableProperty
  /** The object holding the property and the property's last name, for the rewrite. */
  holder: Record<string, unknown>
  name: string
}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * A value the CLI packages: a string that is no S3 URL (and, for a nested template, no HTTPS URL).
 * An object (S3 location, intrinsic function) is left as it is. A property left out is left out:
 * the CLI would zip the template's whole folder for some of them, which is never what a
 * template without the property (a function with InlineCode or ImageUri) means.
 */
export function isLocalPath(value: unknown, form: ArtifactForm): value is string {
  if (typeof value !== 'string' || value === '' || value.startsWith('s3://')) return false
  return !(form.kind === 'template' && /^https?:\/\//i.test(value))
}

function propertyHolder(
  properties: unknown,
  path: readonly string[],
): { holder: Json; name: string } | undefined {
  let holder = properties
  for (const step of path.slice(0, -1)) holder = isObject(holder) ? holder[step] : undefined
  return isObject(holder) ? { holder, name: path[path.length - 1]! } : undefined
}

function resourceReferences(resources: Json, prefix: string, found: LocalReference[]): void {
  for (const [id, resource] of Object.entries(resources)) {
    // Fn::ForEach::Name: [identifier, collection, {fragment resources}]
    if (id.startsWith('Fn::ForEach::') && Array.isArray(resource) && isObject(resource[2])) {
      resourceReferences(resource[2], `${prefix}${id}.`, found)
      continue
    }
    if (!isObject(resource)) continue
    for (const entry of PACKAGEABLE_PROPERTIES) {
      if (entry.inMetadata || entry.resourceType !== resource.Type) continue
      const at = propertyHolder(resource.Properties, entry.property)
      if (!at || !isLocalPath(at.holder[at.name], entry.form)) continue
      found.push({
        resource: id,
        where: `${prefix}${id}.Properties.${entry.property.join('.')}`,
        path: at.holder[at.name] as string,
        entry,
        ...at,
      })
    }
  }
}

function includeReferences(node: unknown, where: string, found: LocalReference[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, index) => includeReferences(item, `${where}.${index}`, found))
    return
  }
  if (!isObject(node)) return
  for (const [key, value] of Object.entries(node)) {
    if (
      key === 'Fn::Transform' &&
      isObject(value) &&
      value.Name === 'AWS::Include' &&
      isObject(value.Parameters)
    ) {
      const location = value.Parameters.Location
      if (isLocalPath(location, INCLUDE_TRANSFORM.form))
        found.push({
          resource: 'AWS::Include',
          where: `${where}.Fn::Transform.Parameters.Location`,
          path: location,
          entry: INCLUDE_TRANSFORM,
          holder: value.Parameters,
          name: 'Location',
        })
    }
    includeReferences(value, where === '' ? key : `${where}.${key}`, found)
  }
}

/** Every local artifact a template (as parsed data) references, in template order. */
export function localArtifactReferences(template: unknown): LocalReference[] {
  const found: LocalReference[] = []
  if (!isObject(template)) return found
  if (isObject(template.Metadata)) {
    for (const entry of PACKAGEABLE_PROPERTIES) {
      if (!entry.inMetadata) continue
      const at = propertyHolder(template.Metadata[entry.resourceType], entry.property)
      if (at && isLocalPath(at.holder[at.name], entry.form))
        found.push({
          resource: entry.resourceType,
          where: `Metadata.${entry.resourceType}.${entry.property.join('.')}`,
          path: at.holder[at.name] as string,
          entry,
          ...at,
        })
    }
  }
  if (isObject(template.Resources)) resourceReferences(template.Resources, 'Resources.', found)
  includeReferences(template, '', found)
  return found
}
