/**
 * `artifact-bucket: auto`: one artifact bucket per account and region, made by a small stack the
 * action deploys itself and reuses afterwards, as `sam deploy --resolve-s3` does. The bucket is
 * encrypted (SSE-S3), versioned, blocks every kind of public access, refuses requests without TLS,
 * expires versions 30 days after they stop being current and aborts incomplete uploads after a
 * day. The bucket is kept when the stack is deleted (it holds what deployed stacks name).
 */
import {
  CreateStackCommand,
  DescribeStacksCommand,
  type CloudFormationClient,
  type Stack,
} from '@aws-sdk/client-cloudformation'
import { errorCode } from '../aws.js'
import { pollUntil } from '../poll.js'

export const AUTO_BUCKET_STACK = 'multi-region-actions-artifacts'

export const AUTO_BUCKET_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Description: >-
  Artifact bucket of multi-region-actions deploy-multi-region (artifact-bucket auto), one per
  account and region: encrypted, versioned, private, TLS only, old versions expired.
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: AES256
      VersioningConfiguration:
        Status: Enabled
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
      LifecycleConfiguration:
        Rules:
          - Id: ExpireOldVersions
            Status: Enabled
            NoncurrentVersionExpiration:
              NoncurrentDays: 30
            AbortIncompleteMultipartUpload:
              DaysAfterInitiation: 1
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: TlsOnly
            Effect: Deny
            Principal: '*'
            Action: 's3:*'
            Resource:
              - !GetAtt Bucket.Arn
              - !Sub '\${Bucket.Arn}/*'
            Condition:
              Bool:
                aws:SecureTransport: 'false'
Outputs:
  BucketName:
    Value: !Ref Bucket
`

const DONE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'])
const BUSY = /_IN_PROGRESS$/

async function describe(cfn: Pick<CloudFormationClient, 'send'>): Promise<Stack | undefined> {
  try {
    return (await cfn.send(new DescribeStacksCommand({ StackName: AUTO_BUCKET_STACK }))).Stacks?.[0]
  } catch (error) {
    // DescribeStacks of a stack that does not exist: ValidationError "Stack with id ... does not exist".
    if (errorCode(error) === 'ValidationError' && /does not exist/.test(String((error as Error).message)))
      return undefined
    throw error
  }
}

function bucketOf(stack: Stack, region: string): string {
  const name = stack.Outputs?.find((o) => o.OutputKey === 'BucketName')?.OutputValue
  if (!name)
    throw new Error(
      `The stack ${AUTO_BUCKET_STACK} in ${region} has no BucketName output; it was not made by artifact-bucket: auto`,
    )
  return name
}

/**
 * The auto bucket of the region the client is for: the stack's bucket when it exists, otherwise
 * the stack is created and waited for. Two runs creating it at once meet AlreadyExistsException,
 * and the later one waits for the earlier one's stack.
 */
export async function ensureAutoBucket(
  cfn: Pick<CloudFormationClient, 'send'>,
  region: string,
  options: { signal?: AbortSignal; onCreate?: () => void } = {},
): Promise<string> {
  let stack = await describe(cfn)
  if (!stack) {
    try {
      options.onCreate?.()
      await cfn.send(
        new CreateStackCommand({
          StackName: AUTO_BUCKET_STACK,
          TemplateBody: AUTO_BUCKET_TEMPLATE,
          Tags: [{ Key: 'multi-region-actions', Value: 'artifact-bucket' }],
        }),
      )
    } catch (error) {
      if (errorCode(error) !== 'AlreadyExistsException') throw error
    }
    stack = await describe(cfn)
  }
  if (stack && BUSY.test(stack.StackStatus ?? ''))
    stack = await pollUntil(
      async () => {
        const now = await describe(cfn)
        return now && !BUSY.test(now.StackStatus ?? '') ? now : undefined
      },
      { what: `the stack ${AUTO_BUCKET_STACK} in ${region}`, timeoutMs: 600_000, signal: options.signal },
    )
  if (!stack || !DONE.has(stack.StackStatus ?? ''))
    throw new Error(
      `The stack ${AUTO_BUCKET_STACK} in ${region} is ${stack?.StackStatus ?? 'missing'} (${stack?.StackStatusReason ?? 'no reason given'}); delete it to have artifact-bucket: auto make it again`,
    )
  return bucketOf(stack, region)
}
