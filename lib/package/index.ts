/**
 * Packaging of a template's local artifacts, as `aws cloudformation package` does, into a bucket
 * of every target: `packageTemplate` once (local: checks, zips, hashes), then `uploadPackage` per
 * target. Loaded with `await import()` only by runs whose template has local artifacts.
 */
export { packageTemplate, type LocalPackage, type Artifact, type TemplateNode } from './local.js'
export { uploadPackage, type UploadTarget, type UploadedPackage, type UploadCounts } from './upload.js'
export { s3ObjectUrl } from './s3-url.js'
export { ensureAutoBucket, AUTO_BUCKET_STACK } from './auto-bucket.js'
