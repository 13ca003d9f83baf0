/** HTTPS URLs of S3 objects, as CloudFormation reads a TemplateURL. */
import { partitionOf } from '../regions.js'

/** S3's DNS suffix in each partition (the SDK's partitions table). */
const S3_DNS_SUFFIX: Readonly<Record<string, string>> = {
  aws: 'amazonaws.com',
  'aws-cn': 'amazonaws.com.cn',
  'aws-us-gov': 'amazonaws.com',
  'aws-iso': 'c2s.ic.gov',
  'aws-iso-b': 'sc2s.sgov.gov',
  'aws-iso-e': 'cloud.adc-e.uk',
  'aws-iso-f': 'csp.hci.ic.gov',
  'aws-eusc': 'amazonaws.eu',
}

/**
 * The object on the regional endpoint of its bucket's region (`s3.<region>.<suffix>`, which
 * exists in every partition), with `?versionId=` when a version is named, so an object
 * overwritten later cannot change what is deployed. Dotted bucket names do not match S3's TLS
 * certificate as a host name: they go path-style.
 */
export function s3ObjectUrl(bucket: string, region: string, key: string, versionId?: string): string {
  const suffix = S3_DNS_SUFFIX[partitionOf(region) ?? (region.startsWith('cn-') ? 'aws-cn' : 'aws')]
  const host = `s3.${region}.${suffix}`
  const path = key.split('/').map(encodeURIComponent).join('/')
  const url = bucket.includes('.') ? `https://${host}/${bucket}/${path}` : `https://${bucket}.${host}/${path}`
  return versionId ? `${url}?versionId=${encodeURIComponent(versionId)}` : url
}
