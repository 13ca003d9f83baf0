/**
 * Deterministic zips: the same files give the same bytes on any machine, so an artifact's key
 * can be the hash of its content. Entries in sorted order, one fixed DOS timestamp (no extended
 * timestamp field, whose UTC time would differ), permissions normalised to 644 or 755 (the
 * executable bit kept, which a Lambda bootstrap or a layer's binaries need), no folder entries.
 * The zip streams to a file while it is hashed; nothing holds it in memory.
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import yazl from 'yazl'

export interface ZipEntry {
  /** The path inside the zip, with forward slashes. */
  name: string
  /** Where the bytes are read from. */
  source: string
  executable: boolean
}

export interface WrittenFile {
  path: string
  bytes: number
  /** Hex SHA-256 of the bytes: the content key. */
  sha256: string
  /** Base64 SHA-256, the form S3's x-amz-checksum-sha256 takes. */
  checksum: string
}

/** 1980-01-01 00:00, the earliest DOS date, in local time: yazl writes local-time DOS fields. */
const FIXED_TIME = new Date(1980, 0, 1, 0, 0, 0)
const REGULAR_FILE = 0o100000

/** A pass-through that hashes and counts what flows through it. */
function hashing(): { stream: Transform; result: () => { bytes: number; sha256: string; checksum: string } } {
  const hash = createHash('sha256')
  let bytes = 0
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk)
      bytes += chunk.length
      done(null, chunk)
    },
  })
  return {
    stream,
    result: () => {
      const digest = hash.digest()
      return { bytes, sha256: digest.toString('hex'), checksum: digest.toString('base64') }
    },
  }
}

export async function writeZip(entries: readonly ZipEntry[], path: string): Promise<WrittenFile> {
  const zip = new yazl.ZipFile()
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of sorted) {
    zip.addFile(entry.source, entry.name, {
      mtime: FIXED_TIME,
      mode: REGULAR_FILE | (entry.executable ? 0o755 : 0o644),
      compress: true,
      forceDosTimestamp: true,
    })
  }
  zip.end()
  const hash = hashing()
  await pipeline(zip.outputStream, hash.stream, createWriteStream(path))
  return { path, ...hash.result() }
}

/** Hashes a file as it is (uploaded unzipped), streaming. */
export async function hashFile(path: string): Promise<WrittenFile> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk)
    bytes += chunk.length
  }
  const digest = hash.digest()
  return { path, bytes, sha256: digest.toString('hex'), checksum: digest.toString('base64') }
}
