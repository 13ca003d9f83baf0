import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { queryErrorReply, queryReply, type ProxyReply, type ProxyRequest } from './loopback-proxy.js'

/**
 * GetTemplate with ChangeSetName, which moto ignores (it answers the stack's
 * template). The CloudFormation API reference: "ChangeSetName: The name or Amazon
 * Resource Name (ARN) of a change set for which CloudFormation returns the
 * associated template. If you specify a name, you must also specify the
 * StackName." A layer passes every CreateChangeSet and its reply to `record`, and
 * asks `answer` first for a GetTemplate: it gives the template submitted with the
 * change set (TemplateBody, or the TemplateURL object as it was at CreateChangeSet,
 * read from moto's S3). Simpler than AWS: the Original stage only; a change set
 * not recorded here is ChangeSetNotFound.
 */
export function changeSetTemplates(target: string) {
  /** change set ARN -> region, stack name, submitted template. */
  const kept = new Map<string, { region: string; stackName: string; template: string }>()
  const stackNameOf = (nameOrId: string) =>
    /^arn:[^:]+:cloudformation:[^:]+:\d+:stack\/([^/]+)\//.exec(nameOrId)?.[1] ?? nameOrId
  return {
    kept,
    async record(req: ProxyRequest, reply: ProxyReply): Promise<void> {
      const id = /<Id>([^<]*)<\/Id>/.exec(reply.body?.toString() ?? '')?.[1]
      if (reply.status !== 200 || !id) return
      const template =
        req.params.get('TemplateBody') ??
        (await readTemplateUrl(target, req.params.get('TemplateURL') ?? undefined))
      if (template !== undefined)
        kept.set(id, {
          region: req.region,
          stackName: stackNameOf(req.params.get('StackName') ?? ''),
          template,
        })
    },
    /** The reply to a GetTemplate that names a change set; undefined for one that does not. */
    answer(req: ProxyRequest): ProxyReply | undefined {
      const name = req.params.get('ChangeSetName')
      if (req.operation !== 'GetTemplate' || !name) return undefined
      const stack = stackNameOf(req.params.get('StackName') ?? '')
      const found = name.startsWith('arn:')
        ? kept.get(name)
        : [...kept].find(
            ([id, k]) =>
              k.region === req.region && k.stackName === stack && id.includes(`:changeSet/${name}/`),
          )?.[1]
      if (!found) return queryErrorReply(404, 'ChangeSetNotFound', `ChangeSet [${name}] does not exist`)
      const escaped = found.template.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      return queryReply(
        'GetTemplate',
        'http://cloudformation.amazonaws.com/doc/2010-05-15/',
        `<TemplateBody>${escaped}</TemplateBody><StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>`,
      )
    },
  }
}

/** The object a TemplateURL names, read from moto's S3 (a virtual-hosted URL, as the deploy writes it). */
async function readTemplateUrl(target: string, url: string | undefined): Promise<string | undefined> {
  const m = url ? /^https:\/\/([^.]+)\.s3[.-][^/]*\/(.+)$/.exec(url) : null
  if (!m) return undefined
  const s3 = new S3Client({
    endpoint: target,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  })
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: m[1], Key: decodeURIComponent(m[2]!) }))
    return await object.Body?.transformToString()
  } catch {
    return undefined
  } finally {
    s3.destroy()
  }
}
