import { awsClientConfig, describeError } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import type { TemplateSource } from '../../../lib/cloudformation-inputs.js'
import { parseS3Url } from './plan.js'

/**
 * The template text to compare with the stack set's. A workspace file is
 * already read; an S3 URL is read with GetObject so an unchanged template does
 * not cause an update. When it cannot be read, undefined: the plan then treats
 * the template as changed, and CloudFormation reads the URL itself.
 */
export async function templateBodyForComparison(
  source: TemplateSource,
  homeRegion: string,
  log: RegionLog,
): Promise<string | undefined> {
  if (source.kind === 'file') return source.body
  const location = parseS3Url(source.url)
  if (!location) return undefined
  // Only a template given as an S3 URL needs S3: loaded here, not at start-up.
  const { GetObjectCommand, S3Client } = await import('@aws-sdk/client-s3')
  const client = new S3Client(awsClientConfig(location.region ?? homeRegion))
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }))
    return (await out.Body?.transformToString('utf8')) ?? undefined
  } catch (error) {
    log.warning(
      `Could not read ${source.url} to compare it with the stack set (${describeError(error)}); the stack set will be updated`,
    )
    return undefined
  } finally {
    client.destroy()
  }
}
