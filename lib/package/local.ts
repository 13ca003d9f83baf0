/**
 * The local phase of packaging: reads a template and, recursively, the nested templates it
 * names; checks every local path; zips each folder once. Everything that can be wrong with the
 * sources is found here, before any upload: a path that leaves the workspace, a symbolic link out
 * of it, a missing path, an artifact over its service's size limit.
 */
import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  openSync,
  readSync,
  closeSync,
} from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { readCfnYaml } from '../cfn-yaml.js'
import { InputError } from '../inputs.js'
import { localArtifactReferences, type LocalReference } from './properties.js'
import { hashFile, writeZip, type WrittenFile, type ZipEntry } from './zip.js'

export interface Artifact extends WrittenFile {
  /** The workspace path it was made from, for the log. */
  source: string
}

export interface Rewrite {
  reference: LocalReference
  /** A file or zip, uploaded as it is. */
  artifact?: Artifact
  /** A nested template, packaged itself. */
  template?: TemplateNode
}

export interface TemplateNode {
  /** The template file, relative to the workspace. */
  file: string
  /** The template as data (short-form tags in their long form); the rewrites point into it. */
  document: Record<string, unknown>
  rewrites: Rewrite[]
}

export interface LocalPackage {
  root: TemplateNode
  /** Each distinct artifact once (by content), in the order first met. */
  artifacts: Artifact[]
  /** Nested templates, every level. */
  nestedTemplates: number
  /**
   * SHA-256 of what is packaged: every template as read and every artifact's content hash. The
   * same sources give the same digest, so a plan can tell whether the workspace still packages
   * to what was planned.
   */
  sourceDigest: string
  /** Removes the zips made for this package. */
  dispose(): void
}

export interface PackageOptions {
  /** Where zips are written; RUNNER_TEMP or the system's temporary folder by default. */
  tempDir?: string
  /** The input named in errors. */
  input?: string
}

const outside = (root: string, path: string) => {
  const rel = relative(root, path)
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)
}

/** A zip starts with a local file header (or, empty, with the end of central directory). */
function isZipFile(path: string): boolean {
  const head = Buffer.alloc(4)
  const fd = openSync(path, 'r')
  try {
    if (readSync(fd, head, 0, 4, 0) !== 4) return false
    const signature = head.readUInt32LE(0)
    return signature === 0x04034b50 || signature === 0x06054b50
  } finally {
    closeSync(fd)
  }
}

/** A template as read, with what each of its references packages to, before any rewrite. */
function digestOf(node: TemplateNode): unknown {
  return {
    document: node.document,
    rewrites: node.rewrites.map((r) => ({
      where: r.reference.where,
      artifact: r.artifact?.sha256,
      template: r.template ? digestOf(r.template) : undefined,
    })),
  }
}

class Packager {
  private readonly problems: string[] = []
  private readonly artifacts = new Map<string, Artifact>()
  private readonly made = new Map<string, Promise<Artifact | undefined>>()
  private readonly realWorkspace: string
  private tempDir?: string
  private zips = 0
  nestedTemplates = 0

  constructor(
    private readonly workspace: string,
    private readonly options: PackageOptions,
  ) {
    this.realWorkspace = realpathSync(workspace)
  }

  problem(file: string, reference: LocalReference | undefined, text: string): undefined {
    const where = reference
      ? `${reference.where} (${reference.resource}): ${JSON.stringify(reference.path)} `
      : ''
    this.problems.push(`${file}: ${where}${text}`)
    return undefined
  }

  finish(root: TemplateNode): LocalPackage {
    if (this.problems.length > 0) {
      this.dispose()
      const [first, ...others] = this.problems
      const more = others.length > 0 ? `; also ${others.join('; ')}` : ''
      throw new InputError(
        this.options.input ?? 'template',
        root.file,
        `a template whose local artifacts are files or folders inside the workspace within their service's limits: ${first}${more}`,
      )
    }
    return {
      root,
      sourceDigest: createHash('sha256')
        .update(JSON.stringify(digestOf(root)))
        .digest('hex'),
      artifacts: [...this.artifacts.values()],
      nestedTemplates: this.nestedTemplates,
      dispose: () => this.dispose(),
    }
  }

  private dispose(): void {
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true })
  }

  private nextZipPath(): string {
    this.tempDir ??= mkdtempSync(
      join(this.options.tempDir ?? (process.env.RUNNER_TEMP || tmpdir()), 'package-'),
    )
    return join(this.tempDir, `${++this.zips}.zip`)
  }

  /** The real path of `full`, or why it cannot be used. */
  confined(full: string): string | { error: string } {
    if (outside(this.workspace, full)) return { error: 'leaves the workspace' }
    let real: string
    try {
      real = realpathSync(full)
    } catch {
      return { error: 'does not exist' }
    }
    if (outside(this.realWorkspace, real))
      return { error: 'is a symbolic link that leads out of the workspace' }
    return real
  }

  async template(path: string, ancestors: readonly string[]): Promise<TemplateNode> {
    // Named from the real workspace: a workspace reached through a symbolic link still reads well.
    const file = relative(this.realWorkspace, realpathSync(path))
    const document = readCfnYaml(readFileSync(path, 'utf8')) as Record<string, unknown>
    const node: TemplateNode = { file, document, rewrites: [] }
    for (const reference of localArtifactReferences(document)) {
      const full = resolve(dirname(path), reference.path)
      const real = this.confined(full)
      if (typeof real !== 'string') {
        this.problem(file, reference, real.error)
        continue
      }
      if (reference.entry.form.kind === 'template') {
        const nested = await this.nested(file, reference, real, ancestors)
        if (nested) node.rewrites.push({ reference, template: nested })
        continue
      }
      let artifact = this.made.get(`${real}\0${reference.entry.zipFiles}`)
      if (!artifact) {
        artifact = this.artifact(file, reference, real)
        this.made.set(`${real}\0${reference.entry.zipFiles}`, artifact)
      }
      const made = await artifact
      if (made) node.rewrites.push({ reference, artifact: made })
    }
    return node
  }

  private async nested(
    file: string,
    reference: LocalReference,
    real: string,
    ancestors: readonly string[],
  ): Promise<TemplateNode | undefined> {
    const stat = statSync(real)
    if (!stat.isFile()) return this.problem(file, reference, 'is a folder, not a template file')
    if (ancestors.includes(real))
      return this.problem(file, reference, 'includes itself (a cycle of nested templates)')
    const limit = reference.entry.limit
    if (limit && stat.size > limit.bytes)
      return this.problem(
        file,
        reference,
        `has ${stat.size} bytes, over ${limit.what} (${limit.bytes} bytes)`,
      )
    this.nestedTemplates++
    try {
      return await this.template(real, [...ancestors, real])
    } catch (error) {
      if (error instanceof InputError) throw error
      return this.problem(file, reference, `cannot be read as a template: ${(error as Error).message}`)
    }
  }

  private async artifact(
    file: string,
    reference: LocalReference,
    real: string,
  ): Promise<Artifact | undefined> {
    const source = relative(this.realWorkspace, real)
    const limit = reference.entry.limit
    const stat = statSync(real)
    let entries: ZipEntry[]
    if (stat.isDirectory()) {
      const walked = this.walk(real, '', [real])
      if (typeof walked === 'string') return this.problem(file, reference, walked)
      entries = walked
    } else if (reference.entry.zipFiles && !isZipFile(real)) {
      entries = [{ name: basename(real), source: real, executable: (stat.mode & 0o111) !== 0 }]
    } else {
      if (limit && stat.size > limit.bytes)
        return this.problem(
          file,
          reference,
          `has ${stat.size} bytes, over ${limit.what} (${limit.bytes} bytes)`,
        )
      return this.keep({ ...(await hashFile(real)), source })
    }
    const unzipped = entries.reduce((sum, entry) => sum + statSync(entry.source).size, 0)
    if (limit && unzipped > limit.bytes)
      return this.problem(
        file,
        reference,
        `has ${unzipped} bytes unzipped, over ${limit.what} (${limit.bytes} bytes)`,
      )
    return this.keep({ ...(await writeZip(entries, this.nextZipPath())), source })
  }

  private keep(artifact: Artifact): Artifact {
    const known = this.artifacts.get(artifact.sha256)
    if (known) return known
    this.artifacts.set(artifact.sha256, artifact)
    return artifact
  }

  /** A folder's files (symbolic links followed where they stay inside the workspace), or why not. */
  private walk(folder: string, prefix: string, ancestors: readonly string[]): ZipEntry[] | string {
    const entries: ZipEntry[] = []
    for (const name of readdirSync(folder).sort()) {
      const full = join(folder, name)
      const inside = prefix === '' ? name : `${prefix}/${name}`
      let real = full
      if (lstatSync(full).isSymbolicLink()) {
        try {
          real = realpathSync(full)
        } catch {
          return `holds ${inside}, a symbolic link to nothing`
        }
        if (outside(this.realWorkspace, real))
          return `holds ${inside}, a symbolic link that leads out of the workspace`
      }
      const stat = statSync(real)
      if (stat.isDirectory()) {
        if (ancestors.includes(real)) return `holds ${inside}, a symbolic link to a folder that contains it`
        const nested = this.walk(real, inside, [...ancestors, real])
        if (typeof nested === 'string') return nested
        entries.push(...nested)
      } else if (stat.isFile()) {
        entries.push({ name: inside, source: real, executable: (stat.mode & 0o111) !== 0 })
      }
    }
    return entries
  }
}

/**
 * Packages a template's local artifacts, locally: reads the template and its nested templates,
 * zips each folder once (deterministically: the content hash is the key), and throws one
 * InputError naming each resource and property whose path is bad, before anything is uploaded.
 * `templatePath` is resolved against `workspace` and must stay inside it.
 */
export async function packageTemplate(
  templatePath: string,
  workspace: string,
  options: PackageOptions = {},
): Promise<LocalPackage> {
  const root = resolve(workspace)
  const packager = new Packager(root, options)
  const path = resolve(root, templatePath)
  if (typeof packager.confined(path) !== 'string')
    throw new InputError(options.input ?? 'template', templatePath, 'a template file inside the workspace')
  const node = await packager.template(path, [realpathSync(path)])
  return packager.finish(node)
}
