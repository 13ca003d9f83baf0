/**
 * The SHA-256 hash and HMAC every AWS client signs with (the SDK's `sha256`
 * setting), made from Node's crypto as the SDK's own is, with one difference:
 * an HMAC's binary key goes to Node as a KeyObject. Signature Version 4 keys
 * three of its four key-derivation HMACs and every request's signature with
 * binary keys, and on Node 24 `createHmac` with a Buffer key spends about
 * 25 µs checking whether the Buffer is a KeyObject or a CryptoKey, four times
 * what the HMAC itself costs; given a KeyObject it skips those checks. Across
 * 320 account and region targets (bench/multi-account.ts) that was 6% of
 * prune-snapshots' CPU time. The digests are the same bytes.
 */
import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from 'node:crypto'

/** What the SDK hands a hash: a string (UTF-8) or bytes. */
export type SourceData = string | ArrayBuffer | ArrayBufferView

export class Sha256 {
  readonly digestLength = 32
  private readonly key: string | KeyObject | undefined
  private hash: Hash | Hmac

  /** With a secret, an HMAC keyed by it; without (or with an empty string, as the SDK's), a plain hash. */
  constructor(secret?: SourceData) {
    if (secret === undefined || secret === '') this.key = undefined
    else if (typeof secret === 'string') this.key = secret
    else this.key = createSecretKey(toBuffer(secret))
    this.hash = this.start()
  }

  update(data: SourceData): void {
    this.hash.update(typeof data === 'string' ? data : toBuffer(data))
  }

  /**
   * A plain hash can go on being updated after a digest (the SDK's streaming
   * checksums read it midway), so it digests a copy; an HMAC digests once.
   */
  digest(): Promise<Uint8Array> {
    const bytes = this.key === undefined ? (this.hash as Hash).copy().digest() : this.hash.digest()
    return Promise.resolve(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  }

  reset(): void {
    this.hash = this.start()
  }

  private start(): Hash | Hmac {
    return this.key === undefined ? createHash('sha256') : createHmac('sha256', this.key)
  }
}

function toBuffer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    : Buffer.from(data)
}
