/**
 * The bad-input campaign: every case must fail the step with a message that
 * names the input, before a single request reaches the AWS endpoint. The
 * endpoint is a counting loopback server that refuses everything, so a case
 * that slipped through validation would show up as a request.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { run as deployMultiRegion } from '../../actions/deploy-multi-region/src/main.js'
import { run as prComment } from '../../actions/pr-comment/src/main.js'
import { run as pruneSnapshots } from '../../actions/prune-snapshots/src/main.js'
import { run as spectrumBenchmark } from '../../actions/spectrum-benchmark/src/main.js'
import { run as stacksetRollout } from '../../actions/stackset-rollout/src/main.js'
import { run as verifyFailover } from '../../actions/verify-failover/src/main.js'
import { runActionInProcess } from '../support/action-runner.js'
import { startLoopbackProxy, type LoopbackProxy } from '../support/loopback-proxy.js'
import { localAwsEnv } from '../support/moto.js'

type Inputs = Record<string, string>

const ACTIONS: Record<string, { run: () => Promise<void>; base: Inputs }> = {
  'deploy-multi-region': {
    run: deployMultiRegion,
    base: { 'stack-name': 'demo', template: 'templates/sample-queue.yaml', regions: 'us-east-1, eu-west-1' },
  },
  'stackset-rollout': {
    run: stacksetRollout,
    base: {
      'stack-set-name': 'baseline',
      template: 'templates/stackset-sample.yaml',
      regions: 'us-east-1, eu-west-1',
      accounts: '111111111111, 222222222222',
    },
  },
  'verify-failover': {
    run: verifyFailover,
    base: { 'hosted-zone-id': 'Z0123456789ABCDEFGHIJ', 'record-name': 'api.example.com' },
  },
  'prune-snapshots': {
    run: pruneSnapshots,
    base: { regions: 'us-east-1, eu-west-1', filters: 'Backup=nightly' },
  },
  'spectrum-benchmark': {
    run: spectrumBenchmark,
    base: { 'workgroup-name': 'poc', database: 'dev', queries: 'queries/spectrum-poc/*.sql' },
  },
}

/** [action, what the case is, inputs laid over the action's valid base, the input the message must name] */
type Case = [string, string, Inputs, string]

const INJECTION = '$(curl http://169.254.169.254/latest/meta-data/)'

const CASES: Case[] = [
  // deploy-multi-region
  ['deploy-multi-region', 'empty stack name', { 'stack-name': '' }, 'stack-name'],
  ['deploy-multi-region', 'whitespace stack name', { 'stack-name': '   ' }, 'stack-name'],
  ['deploy-multi-region', 'stack name with a space', { 'stack-name': 'my stack' }, 'stack-name'],
  ['deploy-multi-region', 'stack name starting with a digit', { 'stack-name': '1stack' }, 'stack-name'],
  ['deploy-multi-region', 'stack name of 129 characters', { 'stack-name': 'a'.repeat(129) }, 'stack-name'],
  ['deploy-multi-region', 'stack name shaped like a command', { 'stack-name': INJECTION }, 'stack-name'],
  ['deploy-multi-region', 'no regions', { regions: '' }, 'regions'],
  ['deploy-multi-region', 'only separators as regions', { regions: ' , \n ,' }, 'regions'],
  ['deploy-multi-region', 'duplicated region', { regions: 'us-east-1, us-east-1' }, 'regions'],
  ['deploy-multi-region', 'unknown region', { regions: 'us-east-1, mars-north-1' }, 'regions'],
  ['deploy-multi-region', 'misspelt region', { regions: 'us-esat-1' }, 'regions'],
  ['deploy-multi-region', 'regions of two partitions', { regions: 'us-east-1, cn-north-1' }, 'regions'],
  ['deploy-multi-region', 'region shaped like a command', { regions: 'us-east-1; rm -rf /' }, 'regions'],
  ['deploy-multi-region', 'empty template', { template: '' }, 'template'],
  [
    'deploy-multi-region',
    'template outside the workspace by ..',
    { template: '../../../etc/passwd' },
    'template',
  ],
  ['deploy-multi-region', 'template by absolute path', { template: '/etc/passwd' }, 'template'],
  ['deploy-multi-region', 'template that does not exist', { template: 'templates/missing.yaml' }, 'template'],
  ['deploy-multi-region', 'template over plain http', { template: 'http://example.com/t.yaml' }, 'template'],
  ['deploy-multi-region', 'template that is a directory', { template: 'templates' }, 'template'],
  ['deploy-multi-region', 'template that is JSON but no template', { template: 'package.json' }, 'template'],
  [
    'deploy-multi-region',
    'template that is YAML without Resources',
    { template: '.github/workflows/ci.yml' },
    'template',
  ],
  ['deploy-multi-region', 'parameter without a value separator', { parameters: 'Environment' }, 'parameters'],
  ['deploy-multi-region', 'parameter with an unclosed quote', { parameters: 'Name="a,b' }, 'parameters'],
  ['deploy-multi-region', 'parameter given twice', { parameters: 'A=1, A=2' }, 'parameters'],
  [
    'deploy-multi-region',
    'malformed region-parameters JSON',
    { 'region-parameters': '{"us-east-1": ' },
    'region-parameters',
  ],
  [
    'deploy-multi-region',
    'region-parameters as a list',
    { 'region-parameters': '- a\n- b' },
    'region-parameters',
  ],
  [
    'deploy-multi-region',
    'region-parameters for an undeployed region',
    { 'region-parameters': '{"ap-south-1": {"A": "1"}}' },
    'region-parameters',
  ],
  ['deploy-multi-region', 'zero max-parallel', { 'max-parallel': '0' }, 'max-parallel'],
  ['deploy-multi-region', 'negative max-parallel', { 'max-parallel': '-3' }, 'max-parallel'],
  ['deploy-multi-region', 'max-parallel as a word', { 'max-parallel': 'ten' }, 'max-parallel'],
  ['deploy-multi-region', 'negative failure tolerance', { 'failure-tolerance': '-1' }, 'failure-tolerance'],
  [
    'deploy-multi-region',
    'huge failure tolerance',
    { 'failure-tolerance': '99999999999999999999' },
    'failure-tolerance',
  ],
  ['deploy-multi-region', 'zero timeout', { 'timeout-minutes': '0' }, 'timeout-minutes'],
  ['deploy-multi-region', 'fractional timeout', { 'timeout-minutes': '1.5' }, 'timeout-minutes'],
  ['deploy-multi-region', 'unknown on-failure', { 'on-failure': 'EXPLODE' }, 'on-failure'],
  [
    'deploy-multi-region',
    'termination protection not a boolean',
    { 'termination-protection': 'maybe' },
    'termination-protection',
  ],
  ['deploy-multi-region', 'plan-only not a boolean', { 'plan-only': 'yes please' }, 'plan-only'],
  ['deploy-multi-region', 'canary region not deployed', { 'canary-regions': 'ap-south-1' }, 'canary-regions'],
  ['deploy-multi-region', 'unknown capability', { capabilities: 'CAPABILITY_ROOT' }, 'capabilities'],
  ['deploy-multi-region', 'role that is not an ARN', { 'role-arn': 'admin' }, 'role-arn'],
  [
    'deploy-multi-region',
    'notification target that is not an ARN',
    { 'notification-arns': 'my-topic' },
    'notification-arns',
  ],
  ['deploy-multi-region', 'tag without a value separator', { tags: 'team' }, 'tags'],
  [
    'deploy-multi-region',
    "parameter value over CloudFormation's 4,096-byte limit",
    { parameters: `Environment=${'x'.repeat(4097)}` },
    'parameters',
  ],
  [
    'deploy-multi-region',
    'allow-replacement that is no logical id',
    { 'allow-replacement': 'Queue-1' },
    'allow-replacement',
  ],
  ['deploy-multi-region', 'mode apply without a plan', { mode: 'apply' }, 'plan'],
  ['deploy-multi-region', 'unknown mode', { mode: 'yolo' }, 'mode'],
  ['deploy-multi-region', 'unknown drift mode', { drift: 'sometimes' }, 'drift'],
  [
    'deploy-multi-region',
    'rollback-all with plan-only',
    { 'on-region-failure': 'rollback-all', 'plan-only': 'true' },
    'on-region-failure',
  ],
  [
    'deploy-multi-region',
    'rollback-all with a failure tolerance',
    { 'on-region-failure': 'rollback-all', 'failure-tolerance': '1' },
    'failure-tolerance',
  ],
  [
    'deploy-multi-region',
    'import-existing-resources not a boolean',
    { 'import-existing-resources': 'please' },
    'import-existing-resources',
  ],
  [
    'deploy-multi-region',
    'stateful-types that is no resource type',
    { 'stateful-types': 'dynamodb' },
    'stateful-types',
  ],
  // stackset-rollout
  ['stackset-rollout', 'empty stack set name', { 'stack-set-name': '' }, 'stack-set-name'],
  [
    'stackset-rollout',
    'stack set name shaped like a command',
    { 'stack-set-name': INJECTION },
    'stack-set-name',
  ],
  ['stackset-rollout', 'short account id', { accounts: '12345' }, 'accounts'],
  ['stackset-rollout', 'long account id', { accounts: '1234567890123' }, 'accounts'],
  ['stackset-rollout', 'duplicated account', { accounts: '111111111111, 111111111111' }, 'accounts'],
  ['stackset-rollout', 'account id with letters', { accounts: '11111111111a' }, 'accounts'],
  ['stackset-rollout', 'failure tolerance over 100%', { 'failure-tolerance': '150%' }, 'failure-tolerance'],
  [
    'stackset-rollout',
    'negative failure tolerance percentage',
    { 'failure-tolerance': '-5%' },
    'failure-tolerance',
  ],
  ['stackset-rollout', 'zero max-concurrent', { 'max-concurrent': '0' }, 'max-concurrent'],
  ['stackset-rollout', 'max-concurrent not a number', { 'max-concurrent': 'abc%' }, 'max-concurrent'],
  ['stackset-rollout', 'unknown permission model', { 'permission-model': 'magic' }, 'permission-model'],
  ['stackset-rollout', 'unknown call-as', { 'call-as': 'root' }, 'call-as'],
  [
    'stackset-rollout',
    'unknown region concurrency',
    { 'region-concurrency': 'random' },
    'region-concurrency',
  ],
  ['stackset-rollout', 'unknown concurrency mode', { 'concurrency-mode': 'loose' }, 'concurrency-mode'],
  [
    'stackset-rollout',
    'malformed instance-parameters',
    { 'instance-parameters': '{bad' },
    'instance-parameters',
  ],
  ['stackset-rollout', 'unknown region', { regions: 'us-east-1, moon-base-1' }, 'regions'],
  ['stackset-rollout', 'template outside the workspace', { template: '../secret.yaml' }, 'template'],
  ['stackset-rollout', 'negative timeout', { 'timeout-minutes': '-10' }, 'timeout-minutes'],
  // verify-failover
  ['verify-failover', 'empty hosted zone id', { 'hosted-zone-id': '' }, 'hosted-zone-id'],
  ['verify-failover', 'malformed hosted zone id', { 'hosted-zone-id': 'not-a-zone' }, 'hosted-zone-id'],
  [
    'verify-failover',
    'hosted zone id shaped like injection',
    { 'hosted-zone-id': "Z123'; DROP TABLE zones;--" },
    'hosted-zone-id',
  ],
  ['verify-failover', 'empty record name', { 'record-name': '  ' }, 'record-name'],
  ['verify-failover', 'unknown drill region', { 'drill-region': 'atlantis-1' }, 'drill-region'],
  ['verify-failover', 'negative min-healthy', { 'min-healthy': '-2' }, 'min-healthy'],
  ['verify-failover', 'max-ttl as a word', { 'max-ttl': 'sixty' }, 'max-ttl'],
  ['verify-failover', 'negative simulate depth', { 'simulate-depth': '-1' }, 'simulate-depth'],
  ['verify-failover', 'zero drill timeout', { 'drill-timeout-minutes': '0' }, 'drill-timeout-minutes'],
  ['verify-failover', 'unknown record type', { 'record-type': 'XYZ' }, 'record-type'],
  ['verify-failover', 'probe not a boolean', { probe: 'sometimes' }, 'probe'],
  ['verify-failover', 'negative detection time', { 'max-detection-seconds': '-10' }, 'max-detection-seconds'],
  [
    'verify-failover',
    'stop alarm ARN without an account',
    { 'drill-region': 'us-east-1', 'stop-alarms': 'arn:aws:cloudwatch:us-east-1::alarm:api-5xx' },
    'stop-alarms',
  ],
  [
    'verify-failover',
    'vantage point without =',
    { 'drill-region': 'us-east-1', 'vantage-points': 'virginia 3.80.0.1' },
    'vantage-points',
  ],
  [
    'verify-failover',
    'vantage point with a bad IP',
    { 'drill-region': 'us-east-1', 'vantage-points': 'virginia=3.80.0.256' },
    'vantage-points',
  ],
  [
    'verify-failover',
    'negative max-failover-seconds',
    { 'drill-region': 'us-east-1', 'max-failover-seconds': '-30' },
    'max-failover-seconds',
  ],
  ['verify-failover', 'stop alarms without a drill', { 'stop-alarms': 'api-5xx' }, 'stop-alarms'],
  [
    'verify-failover',
    'resolver by host name',
    { 'drill-region': 'us-east-1', resolvers: 'dns.google' },
    'resolvers',
  ],
  [
    'deploy-multi-region',
    'account id of 11 digits',
    { accounts: '111111111111, 22222222222', 'role-name': 'multi-region-actions-target' },
    'accounts',
  ],
  [
    'deploy-multi-region',
    'account listed twice',
    { accounts: '111111111111\n111111111111', 'role-name': 'multi-region-actions-target' },
    'accounts',
  ],
  [
    'deploy-multi-region',
    'role-name with a path',
    { accounts: '111111111111', 'role-name': 'ci/multi-region-actions-target' },
    'role-name',
  ],
  [
    'deploy-multi-region',
    'role-name as an ARN',
    { accounts: '111111111111', 'role-name': 'arn:aws:iam::111111111111:role/multi-region-actions-target' },
    'role-name',
  ],
  ['deploy-multi-region', 'accounts without role-name', { accounts: '111111111111' }, 'role-name'],
  [
    'deploy-multi-region',
    'accounts with one template-bucket name, which cannot be in every account',
    { accounts: '111111111111', 'role-name': 'target', 'template-bucket': 'artifacts' },
    'template-bucket',
  ],
  [
    'deploy-multi-region',
    'canary account not in accounts',
    { accounts: '111111111111', 'role-name': 'target', 'canary-regions': '222222222222/us-east-1' },
    'canary-regions',
  ],
  // prune-snapshots
  ['prune-snapshots', 'no regions', { regions: '' }, 'regions'],
  [
    'prune-snapshots',
    'account id of 11 digits',
    { accounts: '111111111111, 22222222222', 'role-name': 'multi-region-actions-target' },
    'accounts',
  ],
  [
    'prune-snapshots',
    'account listed twice',
    { accounts: '111111111111\n111111111111', 'role-name': 'multi-region-actions-target' },
    'accounts',
  ],
  [
    'prune-snapshots',
    'role-name with a path',
    { accounts: '111111111111', 'role-name': 'ci/multi-region-actions-target' },
    'role-name',
  ],
  [
    'prune-snapshots',
    'role-name as an ARN',
    { accounts: '111111111111', 'role-name': 'arn:aws:iam::111111111111:role/multi-region-actions-target' },
    'role-name',
  ],
  ['prune-snapshots', 'accounts without role-name', { accounts: '111111111111' }, 'role-name'],
  [
    'prune-snapshots',
    'role-session-duration under 900 s',
    { accounts: '111111111111', 'role-name': 'target', 'role-session-duration': '600' },
    'role-session-duration',
  ],
  ['prune-snapshots', 'duplicated region', { regions: 'eu-west-1,eu-west-1' }, 'regions'],
  ['prune-snapshots', 'negative keep-last', { 'keep-last': '-1' }, 'keep-last'],
  ['prune-snapshots', 'keep-within in words', { 'keep-within': '14 days' }, 'keep-within'],
  ['prune-snapshots', 'keep-within with an unknown unit', { 'keep-within': '14x' }, 'keep-within'],
  ['prune-snapshots', 'negative max-delete', { 'max-delete': '-5' }, 'max-delete'],
  ['prune-snapshots', 'filter without a value separator', { filters: 'Environment' }, 'filters'],
  ['prune-snapshots', 'malformed volume id', { 'volume-ids': 'vol-xyz!' }, 'volume-ids'],
  ['prune-snapshots', 'unknown DR region', { 'dr-region': 'nowhere-1' }, 'dr-region'],
  ['prune-snapshots', 'zero max-rate', { 'max-rate': '0' }, 'max-rate'],
  ['prune-snapshots', 'max-rate as a word', { 'max-rate': 'fast' }, 'max-rate'],
  ['prune-snapshots', 'dry-run not a boolean', { 'dry-run': 'perhaps' }, 'dry-run'],
  ['prune-snapshots', 'keep-daily as a word', { 'keep-daily': 'seven' }, 'keep-daily'],
  ['prune-snapshots', 'regions alone, no filters or volume ids', { filters: '' }, 'filters'],
  ['prune-snapshots', 'all-volumes alongside filters', { 'all-volumes': 'true' }, 'all-volumes'],
  ['prune-snapshots', 'keep-last 0 and no other keep rule', { 'keep-last': '0' }, 'keep-last'],
  ['prune-snapshots', 'keep-within past the date range', { 'keep-within': '1000000y' }, 'keep-within'],
  // Every spelling of a retention that keeps nothing.
  [
    'prune-snapshots',
    'keep-within 0d with keep-last 0',
    { 'keep-within': '0d', 'keep-last': '0' },
    'keep-within',
  ],
  ['prune-snapshots', 'keep-within 0h0d0w', { 'keep-within': '0h0d0w' }, 'keep-within'],
  [
    'prune-snapshots',
    'keep-last 0 with every other rule 0',
    { 'keep-last': '0', 'keep-daily': '0', 'keep-weekly': '00', 'keep-monthly': '0' },
    'keep-last',
  ],
  [
    'prune-snapshots',
    'dr-keep-within 0y0m with dr-keep-last 0',
    { 'dr-region': 'us-west-2', 'dr-keep-within': '0y0m', 'dr-keep-last': '0' },
    'dr-keep-within',
  ],
  [
    'prune-snapshots',
    'dr-keep-last 0 with no other rule',
    { 'dr-region': 'us-west-2', 'keep-last': '3', 'dr-keep-last': '0' },
    'dr-keep-last',
  ],
  ['prune-snapshots', 'archive-after without a long-term rule', { 'archive-after': '30d' }, 'archive-after'],
  [
    'prune-snapshots',
    'restore-tests-per-run without verify-restore',
    { 'restore-tests-per-run': '2' },
    'restore-tests-per-run',
  ],
  ['prune-snapshots', 'dr-account without dr-region', { 'dr-account': '444444444444' }, 'dr-account'],
  [
    'prune-snapshots',
    'dr-account without dr-role-name',
    { 'dr-region': 'us-west-2', 'dr-account': '444444444444' },
    'dr-role-name',
  ],
  ['prune-snapshots', 'dr-region that is also pruned', { 'dr-region': 'eu-west-1' }, 'dr-region'],
  [
    'prune-snapshots',
    'kms-key-id ARN in another region than dr-region',
    {
      'dr-region': 'eu-central-1',
      'kms-key-id': 'arn:aws:kms:us-east-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab',
    },
    'kms-key-id',
  ],
  // spectrum-benchmark
  ['spectrum-benchmark', 'zero iterations', { iterations: '0' }, 'iterations'],
  ['spectrum-benchmark', 'a million iterations', { iterations: '1000000' }, 'iterations'],
  ['spectrum-benchmark', 'negative warm-up', { warmup: '-1' }, 'warmup'],
  ['spectrum-benchmark', 'glob that matches nothing', { queries: 'nothing/*.sql' }, 'queries'],
  ['spectrum-benchmark', 'glob outside the workspace', { queries: '../../*.sql' }, 'queries'],
  ['spectrum-benchmark', 'max-regression as a word', { 'max-regression': 'ten' }, 'max-regression'],
  ['spectrum-benchmark', 'negative max-regression', { 'max-regression': '-5%' }, 'max-regression'],
  ['spectrum-benchmark', 'empty database', { database: '' }, 'database'],
  [
    'spectrum-benchmark',
    'cluster and workgroup both set',
    { 'cluster-identifier': 'poc-cluster' },
    'workgroup-name',
  ],
  ['spectrum-benchmark', 'neither cluster nor workgroup', { 'workgroup-name': '' }, 'cluster-identifier'],
  [
    'spectrum-benchmark',
    'secret that is not an ARN',
    { 'secret-arn': 'arn:aws:secretsmanager:bad' },
    'secret-arn',
  ],
  [
    'spectrum-benchmark',
    'query group shaped like SQL injection',
    { 'query-group': "x'; DROP TABLE customer;--" },
    'query-group',
  ],
  ['spectrum-benchmark', 'unknown result-cache', { 'result-cache': 'maybe' }, 'result-cache'],
  ['spectrum-benchmark', 'baseline outside the workspace', { baseline: '../../etc/passwd' }, 'baseline'],
  ['spectrum-benchmark', 'zero query timeout', { 'query-timeout-seconds': '0' }, 'query-timeout-seconds'],
  ['spectrum-benchmark', 'negative max-scan-growth', { 'max-scan-growth': '-5%' }, 'max-scan-growth'],
  ['spectrum-benchmark', 'unknown plan-changes', { 'plan-changes': 'maybe' }, 'plan-changes'],
  ['spectrum-benchmark', 'interleave without base queries', { interleave: 'true' }, 'interleave'],
  ['spectrum-benchmark', 'history-baseline without history', { 'history-baseline': '5' }, 'history-baseline'],
  [
    'spectrum-benchmark',
    'interleave with a baseline file too',
    { interleave: 'true', 'base-queries': 'queries/spectrum-poc/*.sql', baseline: 'base.json' },
    'baseline',
  ],
]

describe('bad-input campaign', () => {
  let endpoint: LoopbackProxy
  const saved = { ...process.env }
  beforeAll(async () => {
    // Refuses every call: nothing is forwarded anywhere.
    endpoint = await startLoopbackProxy('http://127.0.0.1:9', async () => ({
      status: 403,
      headers: { 'content-type': 'text/xml' },
      body: '<ErrorResponse><Error><Code>AccessDenied</Code><Message>refused by the test endpoint</Message></Error></ErrorResponse>',
    }))
    Object.assign(process.env, localAwsEnv(endpoint.endpoint), {
      AWS_MAX_ATTEMPTS: '1',
      GITHUB_WORKSPACE: process.cwd(),
    })
  })
  afterAll(async () => {
    process.env = saved
    await endpoint.close()
  })

  it('has at least 60 cases across all five actions', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60)
    expect(new Set(CASES.map(([action]) => action)).size).toBe(5)
  })

  it.each(Object.keys(ACTIONS))(
    'accepts the valid base inputs of %s (the cases change one thing)',
    async (name) => {
      const action = ACTIONS[name]!
      const result = await runActionInProcess(action.run, action.base)
      expect(result.errors.join('\n')).not.toMatch(/Input '/)
    },
  )

  let rejected = 0
  it.each(CASES)('%s: %s', async (name, _what, inputs, input) => {
    const action = ACTIONS[name]!
    endpoint.resetStats()
    const result = await runActionInProcess(action.run, { ...action.base, ...inputs })
    expect(result.failed).toBe(true)
    expect(result.errors.join('\n')).toContain(`Input '${input}'`)
    expect(endpoint.stats.total).toBe(0)
    rejected++
  })

  afterAll(() => {
    console.log(`bad-input campaign: ${rejected} of ${CASES.length} cases rejected before any request`)
  })
})

/**
 * Every path input of every action given a directory: an input error naming the
 * input, before any request (reading a directory would otherwise fail with
 * EISDIR, or a write would land inside it). The directories carry the names a
 * file would have (`params.json`, `setup.sql`), so each input takes them for paths.
 */
describe('path inputs that name a directory', () => {
  let endpoint: LoopbackProxy
  let workspace: string
  let runnerTemp: string
  const saved = { ...process.env }
  beforeAll(async () => {
    endpoint = await startLoopbackProxy('http://127.0.0.1:9', async () => ({
      status: 403,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"refused by the test endpoint"}',
    }))
    workspace = mkdtempSync(join(tmpdir(), 'dir-inputs-'))
    runnerTemp = mkdtempSync(join(tmpdir(), 'dir-inputs-temp-'))
    cpSync(resolve('templates'), join(workspace, 'templates'), { recursive: true })
    cpSync(resolve('queries'), join(workspace, 'queries'), { recursive: true })
    for (const dir of ['params.json', 'regions.yaml', 'setup.sql', 'baseline.json', 'out', 'body.md'])
      mkdirSync(join(workspace, dir))
    mkdirSync(join(runnerTemp, 'comment.md'))
    Object.assign(process.env, localAwsEnv(endpoint.endpoint), {
      AWS_MAX_ATTEMPTS: '1',
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: runnerTemp,
      GITHUB_API_URL: endpoint.endpoint,
    })
  })
  afterAll(async () => {
    process.env = saved
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
    rmSync(runnerTemp, { recursive: true, force: true })
  })

  const ALL: Record<string, { run: () => Promise<void>; base: Inputs }> = {
    ...ACTIONS,
    'pr-comment': { run: prComment, base: { kind: 'plan', 'github-token': 'ghs_example', body: 'hello' } },
  }

  /** [action, path input, value naming a directory] */
  const DIRECTORIES: Array<[string, string, string | (() => string)]> = [
    ['deploy-multi-region', 'template', 'templates'],
    ['deploy-multi-region', 'parameters', 'params.json'],
    ['deploy-multi-region', 'region-parameters', 'regions.yaml'],
    ['stackset-rollout', 'template', 'templates'],
    ['stackset-rollout', 'parameters', 'params.json'],
    ['stackset-rollout', 'instance-parameters', 'regions.yaml'],
    ['spectrum-benchmark', 'queries', 'queries/spectrum-poc'],
    ['spectrum-benchmark', 'setup-sql', 'setup.sql'],
    ['spectrum-benchmark', 'baseline', 'baseline.json'],
    ['spectrum-benchmark', 'results-file', 'out'],
    ['pr-comment', 'body-file', 'body.md'],
    ['pr-comment', 'body-file', () => join(runnerTemp, 'comment.md')],
  ]

  it('covers every action that takes a path input', () => {
    expect(new Set(DIRECTORIES.map(([action]) => action))).toEqual(
      new Set(['deploy-multi-region', 'stackset-rollout', 'spectrum-benchmark', 'pr-comment']),
    )
  })

  it.each(DIRECTORIES)('%s: %s given a directory', async (name, input, value) => {
    const action = ALL[name]!
    const path = typeof value === 'function' ? value() : value
    const inputs: Inputs = { ...action.base, [input]: path }
    if (input === 'body-file') delete inputs.body
    endpoint.resetStats()
    const result = await runActionInProcess(action.run, inputs)
    expect(result.failed).toBe(true)
    const errors = result.errors.join('\n')
    expect(errors).toContain(`Input '${input}'`)
    expect(errors).not.toMatch(/EISDIR/)
    expect(errors).toMatch(/directory/)
    expect(endpoint.stats.total).toBe(0)
  })
})

/**
 * A template that is not one, given to either stack action: refused as bad input
 * by the shared parse (lib/cloudformation-inputs.ts) before any request, so
 * neither action sends it to CloudFormation once per target.
 */
describe('templates that are not templates', () => {
  let endpoint: LoopbackProxy
  let workspace: string
  const saved = { ...process.env }
  /** A "billion laughs": nine levels of ten aliases each, far past the alias bound. */
  const laughs = [
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    ...Array.from(
      { length: 8 },
      (_, i) =>
        `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${Array(10)
          .fill(i === 0 ? '*a' : `*${'b'.repeat(i)}`)
          .join(', ')}]`,
    ),
    'Resources: {}',
  ].join('\n')
  beforeAll(async () => {
    endpoint = await startLoopbackProxy('http://127.0.0.1:9', async () => ({
      status: 403,
      headers: { 'content-type': 'text/xml' },
      body: '<ErrorResponse><Error><Code>AccessDenied</Code><Message>refused by the test endpoint</Message></Error></ErrorResponse>',
    }))
    workspace = mkdtempSync(join(tmpdir(), 'template-inputs-'))
    writeFileSync(join(workspace, 'broken.yaml'), 'Resources:\n  Queue: [unclosed\n')
    writeFileSync(join(workspace, 'laughs.yaml'), laughs)
    Object.assign(process.env, localAwsEnv(endpoint.endpoint), {
      AWS_MAX_ATTEMPTS: '1',
      GITHUB_WORKSPACE: workspace,
    })
  })
  afterAll(async () => {
    process.env = saved
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
  })

  it.each([
    ['deploy-multi-region', 'broken.yaml'],
    ['deploy-multi-region', 'laughs.yaml'],
    ['stackset-rollout', 'broken.yaml'],
    ['stackset-rollout', 'laughs.yaml'],
  ])('%s refuses %s with 0 requests', async (name, template) => {
    const action = ACTIONS[name]!
    endpoint.resetStats()
    const result = await runActionInProcess(action.run, { ...action.base, template })
    expect(result.failed).toBe(true)
    expect(result.errors.join('\n')).toMatch(
      new RegExp(`Input 'template': "${template.replace('.', '\\.')}" is not valid.*does not parse`),
    )
    expect(endpoint.stats.total).toBe(0)
  })
})
