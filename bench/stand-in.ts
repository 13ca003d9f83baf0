/**
 * A stand-in for AWS for bench/multi-account.ts: the query-protocol (and one
 * REST-JSON) answers the deploy and prune actions need, in AWS's documented
 * shapes, answered by the delay proxy's own process after its delay
 * (test/support/delay-proxy.ts, `answerModule`).
 *
 * It keeps state per account (read from the access key it issued at
 * AssumeRole) and region:
 * - CloudFormation: CreateChangeSet makes the stack (REVIEW_IN_PROGRESS) and a
 *   change set that is CREATE_PENDING, then CREATE_IN_PROGRESS, and
 *   CREATE_COMPLETE after CHANGE_SET_MS; ExecuteChangeSet starts the stack
 *   (CREATE_IN_PROGRESS), which is CREATE_COMPLETE after STACK_MS, with its
 *   events (newest first, each carrying the execution's ClientRequestToken).
 * - EC2: a small snapshot inventory per target, named by the run's tag filter
 *   value, so every run has snapshots to delete; DeleteSnapshot removes one.
 * - Recycle Bin: no retention rules.
 *
 * Simpler than AWS: no signature check, no template check (every change set
 * adds the two resources of templates/sample-queue.yaml), no paging (every
 * answer fits one page), and the times are shorter than AWS's (a change set
 * takes seconds there, a stack with a queue tens of seconds), which makes a
 * deploy's 320-target run harder to keep close to one target's, not easier.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { ProxyReply, ProxyRequest } from '../test/support/loopback-proxy.js'
import { queryErrorReply, queryReply } from '../test/support/loopback-proxy.js'

export const CHANGE_SET_MS = 1500
export const STACK_MS = 6000
export const SNAPSHOTS_PER_TARGET = Number(process.env.BENCH_SNAPSHOTS ?? 3)

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/'
const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/'
const CFN_NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/'
const RESOURCES = [
  { logicalId: 'Queue', type: 'AWS::SQS::Queue' },
  { logicalId: 'QueueUrlParameter', type: 'AWS::SSM::Parameter' },
]

/** Every change set's changes: the template's resources, each added. */
const CHANGES = RESOURCES.map(
  (r) =>
    `<member><Type>Resource</Type><ResourceChange><Action>Add</Action><LogicalResourceId>${r.logicalId}</LogicalResourceId><ResourceType>${r.type}</ResourceType><Scope/><Details/></ResourceChange></member>`,
).join('')

interface Stack {
  name: string
  id: string
  createdAt: number
  executedAt?: number
  token?: string
}

interface ChangeSet {
  id: string
  name: string
  stack: Stack
  createdAt: number
}

/** By account/region/name, and the same stacks by StackId (either may be asked for). */
const stacks = new Map<string, Stack>()
const stacksById = new Map<string, Stack>()
const changeSets = new Map<string, ChangeSet>()
const deletedSnapshots = new Set<string>()

/** EC2's query answers have no Result wrapper. */
function ec2Reply(operation: string, inner: string): ProxyReply {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<${operation}Response xmlns="${EC2_NS}"><requestId>${randomUUID()}</requestId>${inner}</${operation}Response>`,
  }
}

/** A stable hex id of `length` digits from a seed. */
function stableId(seed: string, length: number): string {
  let h = 2166136261
  let out = ''
  while (out.length < length) {
    for (const c of `${seed}/${out.length}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0
    out += h.toString(16).padStart(8, '0')
  }
  return out.slice(0, length)
}

/** A target's snapshots for one run (the tag:Bench filter value): one volume, one a day. */
function benchSnapshots(account: string, region: string, generation: string) {
  const volume = `vol-${stableId(`${account}/${region}`, 17)}`
  return Array.from({ length: SNAPSHOTS_PER_TARGET }, (_, i) => ({
    id: `snap-${stableId(`${account}/${region}/${generation}/${i}`, 17)}`,
    volume,
    startTime: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
  })).filter((s) => !deletedSnapshots.has(s.id))
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

type StackStatus = 'REVIEW_IN_PROGRESS' | 'CREATE_IN_PROGRESS' | 'CREATE_COMPLETE'

function stackStatus(stack: Stack, now: number): StackStatus {
  if (stack.executedAt === undefined) return 'REVIEW_IN_PROGRESS'
  return now - stack.executedAt >= STACK_MS ? 'CREATE_COMPLETE' : 'CREATE_IN_PROGRESS'
}

function changeSetStatus(changeSet: ChangeSet, now: number): string {
  const age = now - changeSet.createdAt
  if (age >= CHANGE_SET_MS) return 'CREATE_COMPLETE'
  return age >= CHANGE_SET_MS / 3 ? 'CREATE_IN_PROGRESS' : 'CREATE_PENDING'
}

/** The stack's events so far, newest first, as DescribeStackEvents answers them. */
function stackEvents(stack: Stack, now: number): string {
  const events: Array<{ at: number; logicalId: string; type: string; status: string; reason?: string }> = [
    {
      at: stack.createdAt,
      logicalId: stack.name,
      type: 'AWS::CloudFormation::Stack',
      status: 'REVIEW_IN_PROGRESS',
      reason: 'User Initiated',
    },
  ]
  if (stack.executedAt !== undefined) {
    const start = stack.executedAt
    events.push({
      at: start,
      logicalId: stack.name,
      type: 'AWS::CloudFormation::Stack',
      status: 'CREATE_IN_PROGRESS',
      reason: 'User Initiated',
    })
    RESOURCES.forEach((r, i) => {
      const began = start + ((i + 1) * STACK_MS) / 5
      events.push({ at: began, logicalId: r.logicalId, type: r.type, status: 'CREATE_IN_PROGRESS' })
      events.push({
        at: began + STACK_MS / 5,
        logicalId: r.logicalId,
        type: r.type,
        status: 'CREATE_COMPLETE',
      })
    })
    events.push({
      at: start + STACK_MS,
      logicalId: stack.name,
      type: 'AWS::CloudFormation::Stack',
      status: 'CREATE_COMPLETE',
    })
  }
  return events
    .filter((e) => e.at <= now)
    .reverse()
    .map(
      (e, i) =>
        `<member><EventId>${stack.name}-${e.at}-${e.logicalId}-${e.status}-${i}</EventId><StackId>${stack.id}</StackId><StackName>${stack.name}</StackName><LogicalResourceId>${e.logicalId}</LogicalResourceId><PhysicalResourceId>${e.logicalId === stack.name ? stack.id : `${e.logicalId}-${stableId(stack.id, 8)}`}</PhysicalResourceId><ResourceType>${e.type}</ResourceType><Timestamp>${iso(e.at)}</Timestamp><ResourceStatus>${e.status}</ResourceStatus>${e.reason ? `<ResourceStatusReason>${e.reason}</ResourceStatusReason>` : ''}${stack.token && e.status !== 'REVIEW_IN_PROGRESS' ? `<ClientRequestToken>${stack.token}</ClientRequestToken>` : ''}</member>`,
    )
    .join('')
}

/** Answers one call; the account is read from the access key the stand-in issued. */
export function answer(req: ProxyRequest): ProxyReply {
  const key = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? ''
  const account = key.startsWith('ASIA') ? key.slice(4, 16) : '123456789012'
  const p = req.params
  const now = Date.now()
  const stackKey = (name: string) => `${account}/${req.region}/${name}`
  switch (req.operation) {
    case 'AssumeRole': {
      const roleAccount = /iam::(\d{12}):/.exec(p.get('RoleArn') ?? '')?.[1] ?? '000000000000'
      const expiration = new Date(now + Number(p.get('DurationSeconds') ?? 3600) * 1000)
      return queryReply(
        'AssumeRole',
        STS_NS,
        `<Credentials><AccessKeyId>ASIA${roleAccount}${randomBytes(2).toString('hex').toUpperCase()}</AccessKeyId><SecretAccessKey>${randomBytes(20).toString('base64')}</SecretAccessKey><SessionToken>${randomBytes(64).toString('base64')}</SessionToken><Expiration>${expiration.toISOString()}</Expiration></Credentials><AssumedRoleUser><Arn>${p.get('RoleArn')}</Arn><AssumedRoleId>AROA0000:${p.get('RoleSessionName')}</AssumedRoleId></AssumedRoleUser>`,
      )
    }
    case 'DescribeStacks': {
      const name = p.get('StackName') ?? ''
      const stack = stacks.get(stackKey(name)) ?? stacksById.get(name)
      if (!stack) return queryErrorReply(400, 'ValidationError', `Stack with id ${name} does not exist`)
      return queryReply(
        'DescribeStacks',
        CFN_NS,
        `<Stacks><member><StackName>${stack.name}</StackName><StackId>${stack.id}</StackId><StackStatus>${stackStatus(stack, now)}</StackStatus><CreationTime>${iso(stack.createdAt)}</CreationTime><DisableRollback>false</DisableRollback><EnableTerminationProtection>false</EnableTerminationProtection></member></Stacks>`,
      )
    }
    case 'CreateChangeSet': {
      const name = p.get('StackName') ?? ''
      let stack = stacks.get(stackKey(name))
      if (!stack) {
        stack = {
          name,
          id: `arn:aws:cloudformation:${req.region}:${account}:stack/${name}/${stableId(stackKey(name), 8)}`,
          createdAt: now,
        }
        stacks.set(stackKey(name), stack)
        stacksById.set(stack.id, stack)
      }
      const changeSetName = p.get('ChangeSetName') ?? 'cs'
      const id = `arn:aws:cloudformation:${req.region}:${account}:changeSet/${changeSetName}/${stableId(`${stack.id}/${changeSetName}`, 8)}`
      changeSets.set(id, { id, name: changeSetName, stack, createdAt: now })
      return queryReply('CreateChangeSet', CFN_NS, `<Id>${id}</Id><StackId>${stack.id}</StackId>`)
    }
    case 'DescribeChangeSet': {
      const changeSet = changeSets.get(p.get('ChangeSetName') ?? '')
      if (!changeSet)
        return queryErrorReply(400, 'ChangeSetNotFound', `ChangeSet ${p.get('ChangeSetName')} does not exist`)
      const status = changeSetStatus(changeSet, now)
      const executed = changeSet.stack.executedAt !== undefined
      return queryReply(
        'DescribeChangeSet',
        CFN_NS,
        `<ChangeSetName>${changeSet.name}</ChangeSetName><ChangeSetId>${changeSet.id}</ChangeSetId><StackId>${changeSet.stack.id}</StackId><StackName>${changeSet.stack.name}</StackName><CreationTime>${iso(changeSet.createdAt)}</CreationTime><Status>${status}</Status><ExecutionStatus>${executed ? 'EXECUTE_IN_PROGRESS' : status === 'CREATE_COMPLETE' ? 'AVAILABLE' : 'UNAVAILABLE'}</ExecutionStatus>${status === 'CREATE_COMPLETE' ? `<Changes>${CHANGES}</Changes>` : '<Changes/>'}`,
      )
    }
    case 'ExecuteChangeSet': {
      const changeSet = changeSets.get(p.get('ChangeSetName') ?? '')
      if (!changeSet)
        return queryErrorReply(400, 'ChangeSetNotFound', `ChangeSet ${p.get('ChangeSetName')} does not exist`)
      if (changeSetStatus(changeSet, now) !== 'CREATE_COMPLETE')
        return queryErrorReply(
          400,
          'InvalidChangeSetStatus',
          `ChangeSet [${changeSet.id}] cannot be executed in its current status`,
        )
      changeSet.stack.executedAt ??= now
      changeSet.stack.token = p.get('ClientRequestToken') ?? undefined
      return queryReply('ExecuteChangeSet', CFN_NS, '')
    }
    case 'DescribeStackEvents': {
      const name = p.get('StackName') ?? ''
      const stack = stacks.get(stackKey(name)) ?? stacksById.get(name)
      if (!stack) return queryErrorReply(400, 'ValidationError', `Stack [${name}] does not exist`)
      return queryReply(
        'DescribeStackEvents',
        CFN_NS,
        `<StackEvents>${stackEvents(stack, now)}</StackEvents>`,
      )
    }
    case 'DescribeSnapshots': {
      const generation = p.get('Filter.1.Value.1') ?? ''
      const items = benchSnapshots(account, req.region, generation)
        .map(
          (s) =>
            `<item><snapshotId>${s.id}</snapshotId><volumeId>${s.volume}</volumeId><status>completed</status><startTime>${s.startTime}</startTime><progress>100%</progress><ownerId>${account}</ownerId><volumeSize>8</volumeSize><encrypted>false</encrypted><storageTier>standard</storageTier><tagSet><item><key>Bench</key><value>${generation}</value></item></tagSet></item>`,
        )
        .join('')
      return ec2Reply('DescribeSnapshots', `<snapshotSet>${items}</snapshotSet>`)
    }
    case 'DescribeImages':
      return ec2Reply('DescribeImages', '<imagesSet/>')
    case 'DescribeLockedSnapshots':
      return ec2Reply('DescribeLockedSnapshots', '<snapshotSet/>')
    case 'DeleteSnapshot':
      deletedSnapshots.add(p.get('SnapshotId') ?? '')
      return ec2Reply('DeleteSnapshot', '<return>true</return>')
    case 'POST /list-rules':
      // Recycle Bin (REST-JSON): no retention rules.
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"Rules":[]}' }
    default:
      return queryErrorReply(400, 'InvalidAction', `The stand-in does not answer ${req.operation}`)
  }
}
