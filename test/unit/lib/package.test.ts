import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  ftruncateSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import yauzl from 'yauzl'
import { InputError } from '../../../lib/inputs.js'
import { packageTemplate, type LocalPackage } from '../../../lib/package/local.js'
import { localArtifactReferences, PACKAGEABLE_PROPERTIES } from '../../../lib/package/properties.js'
import { packageWorkspace, writeFiles } from '../../support/package-fixtures.js'

async function zipModes(path: string): Promise<Record<string, number>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: false }, (error, file) => (error ? reject(error) : resolve(file))),
  )
  const modes: Record<string, number> = {}
  await new Promise<void>((resolve) => {
    zip.on(
      'entry',
      (entry: yauzl.Entry) => (modes[entry.fileName] = (entry.externalFileAttributes >>> 16) & 0o7777),
    )
    zip.on('end', () => resolve())
  })
  zip.close()
  return modes
}

describe('localArtifactReferences', () => {
  it('finds a local path in every property of the table, and nothing in S3 locations or objects', () => {
    for (const entry of PACKAGEABLE_PROPERTIES) {
      const properties: Record<string, unknown> = {}
      let holder = properties
      for (const step of entry.property.slice(0, -1)) holder = (holder[step] = {}) as Record<string, unknown>
      holder[entry.property.at(-1)!] = 'local/path'
      const template = entry.inMetadata
        ? { Metadata: { [entry.resourceType]: properties } }
        : { Resources: { R: { Type: entry.resourceType, Properties: properties } } }
      expect(localArtifactReferences(template).map((r) => [r.resource, r.where])).toEqual([
        [
          entry.inMetadata ? entry.resourceType : 'R',
          entry.inMetadata
            ? `Metadata.${entry.resourceType}.${entry.property.join('.')}`
            : `Resources.R.Properties.${entry.property.join('.')}`,
        ],
      ])
    }
    expect(
      localArtifactReferences({
        Resources: {
          A: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Bucket: 'b', S3Key: 'k' } } },
          B: { Type: 'AWS::Serverless::Function', Properties: { CodeUri: 's3://b/k' } },
          C: {
            Type: 'AWS::CloudFormation::Stack',
            Properties: { TemplateURL: 'https://b.s3.amazonaws.com/t' },
          },
          D: { Type: 'AWS::Serverless::Function', Properties: { InlineCode: 'x' } },
          E: { Type: 'AWS::Lambda::Function', Properties: { Code: { 'Fn::Sub': 'x' } } },
        },
      }),
    ).toEqual([])
  })

  it('finds references inside Fn::ForEach and AWS::Include', () => {
    const found = localArtifactReferences({
      Resources: {
        'Fn::ForEach::Fns': [
          'Name',
          ['a', 'b'],
          { '${Name}': { Type: 'AWS::Lambda::Function', Properties: { Code: 'src' } } },
        ],
        Queue: { 'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: 'queue.yaml' } } },
      },
    })
    expect(found.map((r) => [r.resource, r.where, r.path])).toEqual([
      ['${Name}', 'Resources.Fn::ForEach::Fns.${Name}.Properties.Code', 'src'],
      ['AWS::Include', 'Resources.Queue.Fn::Transform.Parameters.Location', 'queue.yaml'],
    ])
  })
})

describe('packageTemplate', () => {
  const packages: LocalPackage[] = []
  afterAll(() => packages.forEach((p) => p.dispose()))
  const pack = async (template: string, workspace: string) => {
    const pkg = await packageTemplate(template, workspace)
    packages.push(pkg)
    return pkg
  }

  it('gives the same bytes for the same sources, whatever their timestamps or where the workspace is', async () => {
    const first = await pack('lambda.yaml', packageWorkspace())
    const other = packageWorkspace()
    utimesSync(join(other, 'functions/hello/app.py'), new Date('2030-05-05'), new Date('2030-05-05'))
    chmodSync(join(other, 'functions/hello/app.py'), 0o600)
    const second = await pack('lambda.yaml', other)
    expect(second.artifacts.map((a) => a.sha256)).toEqual(first.artifacts.map((a) => a.sha256))
    writeFileSync(join(other, 'functions/hello/app.py'), 'changed\n')
    const changed = await pack('lambda.yaml', other)
    expect(changed.artifacts.map((a) => a.sha256)).not.toEqual(first.artifacts.map((a) => a.sha256))
    // The single file is zipped (Lambda takes a zip) and unchanged.
    expect(changed.artifacts[1]!.sha256).toBe(first.artifacts[1]!.sha256)
  })

  it('sorts entries and keeps the executable bit, other permissions normalised', async () => {
    const pkg = await pack('lambda.yaml', packageWorkspace())
    const hello = pkg.artifacts.find((a) => a.source === 'functions/hello')!
    const modes = await zipModes(hello.path)
    expect(Object.keys(modes)).toEqual(['app.py', 'bootstrap', 'lib/util.py'])
    expect(modes).toEqual({ 'app.py': 0o644, bootstrap: 0o755, 'lib/util.py': 0o644 })
  })

  it('zips a folder referenced twice once, and packages nested templates', async () => {
    const layers = await pack('layers.yaml', packageWorkspace())
    expect(layers.artifacts.map((a) => a.source)).toEqual(['layers/shared'])
    const pkg = await pack('nested.yaml', packageWorkspace())
    expect(pkg.nestedTemplates).toBe(2)
    expect(pkg.artifacts.map((a) => a.source).sort()).toEqual(['functions/hello', 'functions/worker'])
  })

  it('packages the SAM version of the multi-region API from its function folders', async () => {
    const pkg = await pack('templates/multi-region-api-sam.yaml', join(import.meta.dirname, '../../..'))
    expect(pkg.artifacts.map((a) => a.source)).toEqual([
      'templates/functions/hello',
      'templates/functions/health',
    ])
  })

  describe('finds bad input before any upload, naming the resource and property', () => {
    let workspace: string
    beforeAll(() => {
      workspace = packageWorkspace()
      const outside = mkdtempSync(join(tmpdir(), 'package-outside-'))
      writeFileSync(join(outside, 'secret.txt'), 'secret')
      mkdirSync(join(workspace, 'leaky'))
      writeFileSync(join(workspace, 'leaky/app.py'), 'x')
      symlinkSync(join(outside, 'secret.txt'), join(workspace, 'leaky/link.txt'))
      symlinkSync(outside, join(workspace, 'outside-link'))
      mkdirSync(join(workspace, 'big'))
      // A sparse file: its size counts, no disk is used.
      const fd = openSync(join(workspace, 'big/blob.bin'), 'w')
      ftruncateSync(fd, 262_144_001)
      closeSync(fd)
      writeFiles(workspace, {
        'bad.yaml': `Resources:
  Escapes:
    Type: AWS::Lambda::Function
    Properties:
      Code: ../../etc
  Leaky:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: leaky
  LinkOut:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content: outside-link
  Missing:
    Type: AWS::Lambda::Function
    Properties:
      Code: functions/nothing-here
  TooBig:
    Type: AWS::Lambda::Function
    Properties:
      Code: big
`,
        'cycle.yaml': `Resources:
  Self:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: cycle.yaml
`,
      })
    })
    afterAll(() => rmSync(workspace, { recursive: true, force: true }))

    it('paths leaving the workspace, symbolic links out of it, missing paths, artifacts over the limit', async () => {
      const error = await packageTemplate('bad.yaml', workspace).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InputError)
      const message = (error as Error).message
      expect(message).toContain("Input 'template'")
      expect(message).toContain(
        'Resources.Escapes.Properties.Code (Escapes): "../../etc" leaves the workspace',
      )
      expect(message).toContain(
        'Resources.Leaky.Properties.CodeUri (Leaky): "leaky" holds link.txt, a symbolic link that leads out of the workspace',
      )
      expect(message).toContain(
        'Resources.LinkOut.Properties.Content (LinkOut): "outside-link" is a symbolic link that leads out of the workspace',
      )
      expect(message).toContain(
        'Resources.Missing.Properties.Code (Missing): "functions/nothing-here" does not exist',
      )
      expect(message).toContain(
        'Resources.TooBig.Properties.Code (TooBig): "big" has 262144001 bytes unzipped, over Lambda\'s 250 MB unzipped deployment package quota',
      )
    })

    it('a nested template that includes itself', async () => {
      await expect(packageTemplate('cycle.yaml', workspace)).rejects.toThrow(
        /Resources\.Self\.Properties\.TemplateURL \(Self\): "cycle\.yaml" includes itself/,
      )
    })
  })
})
