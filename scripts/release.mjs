// The steps of .github/workflows/release.yml, one subcommand each, so a release can be
// rehearsed in any clone (test/unit/repo/release.test.ts runs them against a scratch one):
//
//   plan                 what the commit at HEAD releases: the version in package.json, whether
//                        its tag vX.Y.Z is still to be made, and its CHANGELOG.md section checked
//   notes <version>      that version's CHANGELOG.md section (--out FILE, else stdout)
//   tag <version>        vX.Y.Z (annotated) at HEAD, pushed; nothing when it is there at HEAD already
//   publish <version>    with gh: a draft release of vX.Y.Z with its notes (--notes FILE) and
//                        assets (--asset FILE, repeated), then published, after which an immutable
//                        release can no longer change
//   move <version>       vX and vX.Y to vX.Y.Z when it is the newest of that line, force-pushed
//
// Only git and gh are called (no packages), so the job that may write to the repository
// runs nothing but this file. The remote is `origin` unless RELEASE_REMOTE names another.
import { execFileSync, spawnSync } from 'node:child_process'
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/
const remote = () => process.env.RELEASE_REMOTE || 'origin'

class ReleaseError extends Error {}

/** A version `X.Y.Z` or `X.Y.Z-pre`, or undefined when the text is not one. */
function parseVersion(text) {
  const m = SEMVER.exec(text)
  if (!m) return undefined
  return { text, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] }
}

function comparePre(a, b) {
  if (a === b) return 0
  if (a === undefined) return 1
  if (b === undefined) return -1
  const x = a.split('.')
  const y = b.split('.')
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === undefined) return -1
    if (y[i] === undefined) return 1
    if (x[i] === y[i]) continue
    const nx = /^\d+$/.test(x[i])
    const ny = /^\d+$/.test(y[i])
    if (nx && ny) return Number(x[i]) - Number(y[i])
    if (nx !== ny) return nx ? -1 : 1
    return x[i] < y[i] ? -1 : 1
  }
  return 0
}

/** Semantic-version order (a prerelease before its release). */
function compareVersions(a, b) {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || comparePre(a.pre, b.pre)
}

/**
 * The CHANGELOG.md section of a version (Keep a Changelog: `## [X.Y.Z] - YYYY-MM-DD`), up to
 * the next level-2 heading or the link definitions at the end; undefined when there is none.
 */
function changelogSection(changelog, version) {
  const lines = changelog.split('\n')
  const heading = new RegExp(`^## \\[${version.replace(/[.+]/g, '\\$&')}\\](?:\\s|$)`)
  const start = lines.findIndex((l) => heading.test(l))
  if (start < 0) return undefined
  const body = []
  for (const line of lines.slice(start + 1)) {
    if (/^## /.test(line) || /^\[[^\]]+\]:\s/.test(line)) break
    body.push(line)
  }
  return { heading: lines[start], notes: body.join('\n').trim() }
}

/**
 * Which movable tags a release moves: `vX` and `vX.Y` only when it is the newest release of
 * that line (a fix to an older minor line moves its `vX.Y`, not `vX`), none for a prerelease;
 * `latest` when it is the newest release of all.
 */
function movableTags(version, releasedTags) {
  if (version.pre !== undefined) return { moves: [], latest: false }
  const released = releasedTags
    .map((t) => (t.startsWith('v') ? parseVersion(t.slice(1)) : undefined))
    .filter((v) => v !== undefined && v.pre === undefined)
  const newestOf = (same) => released.filter(same).every((v) => compareVersions(version, v) >= 0)
  const moves = []
  if (newestOf((v) => v.major === version.major)) moves.push(`v${version.major}`)
  if (newestOf((v) => v.major === version.major && v.minor === version.minor))
    moves.push(`v${version.major}.${version.minor}`)
  return { moves, latest: newestOf(() => true) }
}

function git(args, options = {}) {
  const out = execFileSync('git', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    ...options,
  })
  return (out ?? '').trim()
}

function tagCommit(tag) {
  const r = spawnSync('git', ['rev-parse', '-q', '--verify', `refs/tags/${tag}^{commit}`], {
    encoding: 'utf8',
  })
  return r.status === 0 ? r.stdout.trim() : undefined
}

function versionTags() {
  return git(['tag', '--list', 'v*']).split('\n').filter(Boolean)
}

function readVersion(text) {
  const version = parseVersion(text ?? '')
  if (!version) throw new ReleaseError(`version "${text}" is not a semantic version X.Y.Z (or X.Y.Z-pre)`)
  return version
}

function notesOf(version) {
  const section = changelogSection(readFileSync('CHANGELOG.md', 'utf8'), version.text)
  if (!section) throw new ReleaseError(`CHANGELOG.md has no "## [${version.text}] - YYYY-MM-DD" section`)
  if (!/ - \d{4}-\d{2}-\d{2}\s*$/.test(section.heading))
    throw new ReleaseError(`CHANGELOG.md: "${section.heading}" needs its release date, "- YYYY-MM-DD"`)
  if (section.notes === '') throw new ReleaseError(`CHANGELOG.md: the section of ${version.text} is empty`)
  return section.notes
}

function setOutputs(outputs) {
  console.log(JSON.stringify(outputs))
  if (!process.env.GITHUB_OUTPUT) return
  appendFileSync(
    process.env.GITHUB_OUTPUT,
    Object.entries(outputs)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(' ') : v}\n`)
      .join(''),
  )
}

/** A version bump is released once: a version already tagged is no release (any other push to main). */
function plan() {
  const version = readVersion(JSON.parse(readFileSync('package.json', 'utf8')).version)
  const tag = `v${version.text}`
  const head = git(['rev-parse', 'HEAD'])
  const tagged = tagCommit(tag)
  if (tagged !== undefined) {
    console.error(
      `${tag} exists (at ${tagged}${tagged === head ? ', this commit' : ''}): nothing to release.`,
    )
    setOutputs({ release: false, version: version.text, tag })
    return
  }
  const newerOfLine = versionTags()
    .map((t) => parseVersion(t.slice(1)))
    .find(
      (v) =>
        v !== undefined &&
        v.major === version.major &&
        v.minor === version.minor &&
        compareVersions(v, version) > 0,
    )
  if (newerOfLine) throw new ReleaseError(`${tag} is older than v${newerOfLine.text}, released already`)
  notesOf(version)
  const { moves, latest } = movableTags(version, versionTags())
  setOutputs({
    release: true,
    version: version.text,
    tag,
    prerelease: version.pre !== undefined,
    moves,
    latest,
  })
}

function tag(version) {
  const name = `v${version.text}`
  const head = git(['rev-parse', 'HEAD'])
  const existing = tagCommit(name)
  if (existing === head) {
    console.log(`${name} is at ${head} already.`)
    return
  }
  if (existing !== undefined) throw new ReleaseError(`${name} exists at ${existing}, not at ${head}`)
  git(['tag', '--annotate', '--message', name, name, head])
  pushTags([`refs/tags/${name}`], [])
  console.log(`${name} created at ${head} and pushed.`)
}

/**
 * GitHub refuses a tag pushed with an app's token (GITHUB_TOKEN is one) that it counts as
 * changing .github/workflows/: a commit whose workflows differ from the branch tips' (main
 * changed a workflow while the checks ran), and, as reported, a vX moved across workflow
 * changes. Only a token with the workflows permission may push those.
 */
const WORKFLOWS_REFUSAL = /without `?workflows`? permission/

function pushTags(refs, flags) {
  const r = spawnSync('git', ['push', ...flags, remote(), ...refs], { encoding: 'utf8' })
  process.stderr.write(r.stderr ?? '')
  if (r.status === 0) return
  if (WORKFLOWS_REFUSAL.test(r.stderr ?? ''))
    throw new ReleaseError(
      `GitHub refused ${refs.join(' ')} for want of the workflows permission. Give the repository a ` +
        'RELEASE_TOKEN secret that may write contents and workflows, then re-run the failed jobs.',
    )
  throw new ReleaseError(`git push of ${refs.join(' ')} failed`)
}

function gh(args, options = {}) {
  return spawnSync('gh', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options })
}

function ghOrFail(args) {
  const r = gh(args, { stdio: 'inherit' })
  if (r.error || r.status !== 0) throw new ReleaseError(`gh ${args.slice(0, 2).join(' ')} failed`)
}

/** Draft first: assets can only be added before publishing when releases are immutable. */
function publish(version, notesFile, assets) {
  const name = `v${version.text}`
  const { latest } = movableTags(version, versionTags())
  const view = gh(['release', 'view', name, '--json', 'isDraft', '--jq', '.isDraft'])
  if (view.status === 0 && view.stdout.trim() === 'false') {
    console.log(`${name} is published already.`)
    return
  }
  if (view.status === 0) {
    if (assets.length > 0) ghOrFail(['release', 'upload', name, '--clobber', ...assets])
  } else {
    const pre = version.pre !== undefined ? ['--prerelease'] : []
    ghOrFail([
      'release',
      'create',
      name,
      '--verify-tag',
      '--draft',
      '--title',
      name,
      '--notes-file',
      notesFile,
      ...pre,
      ...assets,
    ])
  }
  ghOrFail(['release', 'edit', name, '--draft=false', `--latest=${latest}`])
  console.log(`${name} published${latest ? ' as the latest release' : ''}.`)
}

function move(version) {
  const name = `v${version.text}`
  const commit = tagCommit(name)
  if (commit === undefined) throw new ReleaseError(`${name} does not exist: tag it first`)
  const { moves } = movableTags(version, versionTags())
  if (moves.length === 0) {
    console.log(`${name} moves no tag (a prerelease, or an older line's release).`)
    return
  }
  for (const t of moves) git(['tag', '--force', t, commit])
  pushTags(
    moves.map((t) => `refs/tags/${t}`),
    ['--force', '--atomic'],
  )
  console.log(`${moves.join(' and ')} moved to ${name} (${commit}).`)
}

function option(args, flag) {
  const values = []
  args.forEach((a, i) => {
    if (a === flag && args[i + 1] !== undefined) values.push(args[i + 1])
  })
  return values
}

function main(argv) {
  const [command, versionText, ...rest] = argv
  if (command === 'plan') return plan()
  const version = readVersion(versionText)
  switch (command) {
    case 'notes': {
      const notes = notesOf(version) + '\n'
      const [out] = option(rest, '--out')
      if (out) writeFileSync(out, notes)
      else process.stdout.write(notes)
      return
    }
    case 'tag':
      return tag(version)
    case 'publish': {
      const [notesFile] = option(rest, '--notes')
      if (!notesFile) throw new ReleaseError('publish needs --notes FILE')
      return publish(version, notesFile, option(rest, '--asset'))
    }
    case 'move':
      return move(version)
    default:
      throw new ReleaseError(`unknown command "${command}": plan, notes, tag, publish or move`)
  }
}

try {
  main(process.argv.slice(2))
} catch (error) {
  if (!(error instanceof ReleaseError)) throw error
  console.error(`release: ${error.message}`)
  process.exit(1)
}
