/**
 * The AWS CLI as the oracle: for each fixture template, `aws cloudformation package` (v1, on this
 * machine) and our packaging write to moto's S3, and the two packaged templates must rewrite the
 * same properties into the same shapes, nested templates included, with artifacts of the same
 * content. Keys differ by design: the CLI's are the MD5 of the uploaded file, ours the SHA-256
 * of our deterministic zip, so both are compared as "a hash" (and `.template` for templates).
 * Template URLs differ in host: the CLI writes `<endpoint>/<bucket>/<key>` (here moto's
 * endpoint), ours the bucket's regional S3 endpoint; both are compared as bucket and key.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import yauzl from 'yauzl'
import { readCfnYaml } from '../../lib/cfn-yaml.js'
import { packageTemplate, uploadPackage } from '../../lib/package/index.js'
import { directClientConfig, startMoto, type MotoServer } from '../support/moto.js'
import { FIXTURE_TEMPLATES, packageWorkspace } from '../support/package-fixtures.js'

const run = promisify(execFile)
const CLI_BUCKET = 'oracle-cli'
const OUR_BUCKET = 'oracle-ours'
const OWNER = '123456789012'

/** The AWS CLI v1 here packages no AWS::Serverless::HttpApi (SAM CLI does); we do. */
const CLI_LEAVES = new Set(['Resources.HttpApi.Properties.DefinitionUri'])

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

describe('packaging, with `aws cloudformation package` as the oracle', () => {
  let moto: MotoServer
  let s3: S3Client
  let workspace: string
  let cliEnv: NodeJS.ProcessEnv

  beforeAll(async () => {
    moto = await startMoto()
    s3 = new S3Client({ ...directClientConfig(moto.endpoint), forcePathStyle: true })
    for (const Bucket of [CLI_BUCKET, OUR_BUCKET, 'oracle-versioned'])
      await s3.send(new CreateBucketCommand({ Bucket }))
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: 'oracle-versioned',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    )
    workspace = packageWorkspace()
    cliEnv = {
      ...process.env,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'local-test-secret',
      AWS_DEFAULT_REGION: 'us-east-1',
    }
  }, 60_000)
  afterAll(async () => {
    s3?.destroy()
    await moto?.stop()
  })

  async function cliPackage(template: string): Promise<Json> {
    const out = join(workspace, `${template}.cli-out.yaml`)
    await run(
      'aws',
      [
        'cloudformation',
        'package',
        '--template-file',
        template,
        '--s3-bucket',
        CLI_BUCKET,
        '--output-template-file',
        out,
      ],
      { cwd: workspace, env: cliEnv },
    )
    return readCfnYaml(readFileSync(out, 'utf8')) as Json
  }

  async function ourPackage(template: string, bucket = OUR_BUCKET) {
    const pkg = await packageTemplate(template, workspace)
    try {
      return await uploadPackage(pkg, { s3, bucket, region: 'us-east-1', owner: OWNER, prefix: '' })
    } finally {
      pkg.dispose()
    }
  }

  async function getObject(bucket: string, key: string): Promise<Buffer> {
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    return Buffer.from(await answer.Body!.transformToByteArray())
  }

  /** Bucket and key of a packaged reference: an s3:// URL, a template URL of either writer, or a location object. */
  function objectOf(value: unknown): { bucket: string; key: string } | undefined {
    if (typeof value === 'string') {
      const s3url = /^s3:\/\/([^/]+)\/([^?]+)/.exec(value)
      if (s3url) return { bucket: s3url[1]!, key: s3url[2]! }
      const cli = new RegExp(`^${moto.endpoint}/([^/]+)/([^?]+)`).exec(value)
      if (cli) return { bucket: cli[1]!, key: cli[2]! }
      const ours = /^https:\/\/([^.]+)\.s3\.[a-z0-9-]+\.amazonaws\.com\/([^?]+)/.exec(value)
      if (ours) return { bucket: ours[1]!, key: decodeURIComponent(ours[2]!) }
      return undefined
    }
    if (!isObject(value)) return undefined
    const bucket = value.S3Bucket ?? value.Bucket
    const key = value.S3Key ?? value.Key
    return typeof bucket === 'string' && typeof key === 'string' ? { bucket, key } : undefined
  }

  /** The template with buckets, hashes and URL hosts replaced by placeholders: its shape. */
  function shape(document: unknown): unknown {
    const text = JSON.stringify(document)
      .replaceAll(`${moto.endpoint}/${CLI_BUCKET}/`, 'TEMPLATE-URL/BUCKET/')
      .replaceAll(`https://${OUR_BUCKET}.s3.us-east-1.amazonaws.com/`, 'TEMPLATE-URL/BUCKET/')
      .replaceAll(CLI_BUCKET, 'BUCKET')
      .replaceAll(OUR_BUCKET, 'BUCKET')
      .replace(/\b[0-9a-f]{64}\b|\b[0-9a-f]{32}\b/g, 'HASH')
    return JSON.parse(text)
  }

  async function zipEntries(bytes: Buffer): Promise<Map<string, { content: string; executable: boolean }>> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.fromBuffer(bytes, { lazyEntries: false }, (error, file) =>
        error ? reject(error) : resolve(file),
      ),
    )
    const entries = new Map<string, { content: string; executable: boolean }>()
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (error, stream) => {
          if (error) return reject(error)
          const chunks: Buffer[] = []
          stream.on('data', (c: Buffer) => chunks.push(c))
          stream.on('end', () => {
            const mode = entry.externalFileAttributes >>> 16
            entries.set(entry.fileName, {
              content: Buffer.concat(chunks).toString(),
              executable: (mode & 0o111) !== 0,
            })
            if (entries.size === zip.entryCount) resolve()
          })
        })
      })
      zip.on('error', reject)
      if (zip.entryCount === 0) resolve()
    })
    return entries
  }

  /**
   * Walks both packaged documents side by side; at each reference both rewrote, the objects'
   * contents must agree (the same files in a zip, the same bytes as they are, nested templates
   * compared the same way, recursively). Returns how many references and nesting levels it saw.
   */
  async function compareObjects(
    cli: unknown,
    ours: unknown,
    path: string,
    depth = 0,
  ): Promise<{ refs: number; depth: number }> {
    const cliObject = objectOf(cli)
    const ourObject = objectOf(ours)
    if (cliObject && ourObject) {
      const [a, b] = await Promise.all([
        getObject(cliObject.bucket, cliObject.key),
        getObject(ourObject.bucket, ourObject.key),
      ])
      if (cliObject.key.endsWith('.template')) {
        expect(ourObject.key).toMatch(/^[0-9a-f]{64}\.template$/)
        const cliNested = readCfnYaml(a.toString())
        const ourNested = JSON.parse(b.toString()) as unknown
        expect({ path, nested: shape(ourNested) }).toEqual({ path, nested: shape(cliNested) })
        const inner = await compareObjects(cliNested, ourNested, `${path}>`, depth + 1)
        return { refs: inner.refs + 1, depth: Math.max(depth + 1, inner.depth) }
      }
      expect(ourObject.key).toMatch(/^[0-9a-f]{64}$/)
      const cliZip = a.readUInt32LE(0) === 0x04034b50
      expect({ path, zip: b.readUInt32LE(0) === 0x04034b50 }).toEqual({ path, zip: cliZip })
      if (cliZip)
        expect({ path, entries: await zipEntries(b) }).toEqual({ path, entries: await zipEntries(a) })
      else expect(b.equals(a)).toBe(true)
      return { refs: 1, depth }
    }
    let refs = 0
    let deepest = depth
    if (isObject(cli) && isObject(ours)) {
      for (const key of Object.keys(cli)) {
        const inner = await compareObjects(cli[key], ours[key], path === '' ? key : `${path}.${key}`, depth)
        refs += inner.refs
        deepest = Math.max(deepest, inner.depth)
      }
    } else if (Array.isArray(cli) && Array.isArray(ours)) {
      for (const [index, item] of cli.entries()) {
        const inner = await compareObjects(item, ours[index], `${path}.${index}`, depth)
        refs += inner.refs
        deepest = Math.max(deepest, inner.depth)
      }
    }
    return { refs, depth: deepest }
  }

  function leaveWhatTheCliLeaves(document: Json, original: Json): Json {
    const copy = structuredClone(document)
    for (const where of CLI_LEAVES) {
      const [, id, , property] = where.split('.')
      const resources = copy.Resources as Record<string, Json> | undefined
      const before = (original.Resources as Record<string, Json> | undefined)?.[id!]
      if (resources?.[id!] && before)
        (resources[id!]!.Properties as Json)[property!] = (before.Properties as Json)[property!]
    }
    return copy
  }

  it.each(FIXTURE_TEMPLATES)('%s: the same properties rewritten into the same shapes', async (template) => {
    const cli = await cliPackage(template)
    const ours = await ourPackage(template)
    if (!('TemplateBody' in ours.template)) throw new Error('expected a template body')
    const packaged = JSON.parse(ours.template.TemplateBody) as Json
    const original = readCfnYaml(readFileSync(join(workspace, template), 'utf8')) as Json
    expect(shape(leaveWhatTheCliLeaves(packaged, original))).toEqual(shape(cli))
    const { refs } = await compareObjects(cli, packaged, '')
    expect(refs).toBeGreaterThan(0)
  })

  it('packages nested templates two levels deep, each level its own code too', async () => {
    const cli = await cliPackage('nested.yaml')
    const ours = await ourPackage('nested.yaml')
    const packaged = JSON.parse((ours.template as { TemplateBody: string }).TemplateBody) as Json
    const { refs, depth } = await compareObjects(cli, packaged, '')
    // level1.yaml, its Worker code, level2.yaml, its Deepest code.
    expect({ refs, depth }).toEqual({ refs: 4, depth: 2 })
  })

  it('packages AWS::Serverless::HttpApi DefinitionUri, as SAM does (the CLI v1 leaves it)', async () => {
    const ours = await ourPackage('api.yaml')
    const packaged = JSON.parse((ours.template as { TemplateBody: string }).TemplateBody) as Json
    const resources = packaged.Resources as Record<string, { Properties: Json }>
    expect(resources.HttpApi!.Properties.DefinitionUri).toBe(resources.Api!.Properties.DefinitionUri)
    expect(resources.Api!.Properties.DefinitionUri).toMatch(new RegExp(`^s3://${OUR_BUCKET}/[0-9a-f]{64}$`))
  })

  it('names the object version where the bucket is versioned: S3ObjectVersion, Version, ?versionId=', async () => {
    const ours = await ourPackage('nested.yaml', 'oracle-versioned')
    const root = JSON.parse((ours.template as { TemplateBody: string }).TemplateBody) as Json
    const url = ((root.Resources as Json).Level1 as { Properties: { TemplateURL: string } }).Properties
      .TemplateURL
    expect(url).toMatch(
      /^https:\/\/oracle-versioned\.s3\.us-east-1\.amazonaws\.com\/[0-9a-f]{64}\.template\?versionId=.+$/,
    )
    const level1 = JSON.parse((await getObject('oracle-versioned', objectOf(url)!.key)).toString()) as Json
    const worker = (level1.Resources as Record<string, { Properties: { Code: Json } }>).Worker!.Properties
      .Code
    expect(worker).toEqual({
      S3Bucket: 'oracle-versioned',
      S3Key: expect.stringMatching(/^[0-9a-f]{64}$/),
      S3ObjectVersion: expect.any(String),
    })
    const sam = await ourPackage('sam-function.yaml', 'oracle-versioned')
    const samRoot = JSON.parse((sam.template as { TemplateBody: string }).TemplateBody) as Json
    expect(((samRoot.Resources as Json).Hello as { Properties: Json }).Properties.CodeUri).toMatch(
      /^s3:\/\/oracle-versioned\/[0-9a-f]{64}\?versionId=.+$/,
    )
    const machines = await ourPackage('statemachine.yaml', 'oracle-versioned')
    const machineRoot = JSON.parse((machines.template as { TemplateBody: string }).TemplateBody) as Json
    expect(
      ((machineRoot.Resources as Json).Machine as { Properties: Json }).Properties.DefinitionS3Location,
    ).toEqual({
      Bucket: 'oracle-versioned',
      Key: expect.stringMatching(/^[0-9a-f]{64}$/),
      Version: expect.any(String),
    })
  })
})
