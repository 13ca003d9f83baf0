/**
 * The local AWS the demo runs against, started and stopped here: moto_server and,
 * in front of it, the loopback layers that add what moto lacks (Route 53 health
 * checking, StackSet operations, EBS snapshot locks and Recycle Bin, a Redshift
 * Data API on an embedded engine), plus one real health endpoint per region
 * standing in for the regional APIs.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ActionRun } from '../test/support/action-runner.js'
import {
  selfSignedCertificate,
  startHealthEndpoint,
  type HealthEndpoint,
} from '../test/support/health-endpoint.js'
import { startLoopbackProxy, type LoopbackProxy } from '../test/support/loopback-proxy.js'
import { localAwsEnv, startMoto, type MotoServer } from '../test/support/moto.js'
import { startRedshiftDataApi, type RedshiftDataApi } from '../test/support/redshift-data-server.js'
import { startRoute53Loopback, type Route53Loopback } from '../test/support/route53-loopback.js'
import {
  snapshotExtrasHandler,
  snapshotExtrasState,
  type SnapshotExtrasState,
} from '../test/support/ec2-snapshot-extras.js'
import { startStackSetLoopback, type StackSetLoopback } from '../test/support/stackset-loopback.js'
import { snapshotAgesHandler, type SnapshotAges } from './snapshot-ages.js'

/** The regions the API is deployed to and routed between. */
export const DEMO_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']

/** EC2 address ranges of the demo's regions, where the drill's vantage points sit. */
export const DEMO_CLIENT_SUBNETS: Record<string, string> = {
  '3.80.0.0/12': 'us-east-1',
  '3.248.0.0/13': 'eu-west-1',
  '3.24.0.0/14': 'ap-southeast-2',
}

export interface DemoOptions {
  /** Where job summaries go (default: demo-output/ in this repository). */
  outputDir?: string
  /** Variables added to every action's environment (e.g. other credentials). */
  env?: Record<string, string>
  /** Print what each action prints while it runs (default true). */
  echo?: boolean
  /**
   * How each action step is run: in this process by default; the command line
   * and local-action tests run the same story through `multi-region-actions`
   * and GitHub's local-action instead.
   */
  runner?: StepRunner
}

/** Runs one action with these inputs and environment and reports what it did. */
export type StepRunner = (
  step: { action: string; run: () => Promise<void>; inputs: Record<string, string | number | boolean> },
  env: Record<string, string>,
  options: { echo: boolean },
) => Promise<ActionRun>

export interface DemoEndpoints {
  /** moto with nothing in front: deploy-multi-region. */
  cloudformation: string
  /** The Route 53 layer: topology set-up and verify-failover. */
  route53: string
  /** The StackSet layer: stackset-rollout. */
  stacksets: string
  /** The EC2 extras layer and the simulated snapshot ages: prune-snapshots. */
  ec2: string
  /** The local Redshift Data API (AWS_ENDPOINT_URL_REDSHIFT_DATA): spectrum-benchmark. */
  redshiftData: string
}

export interface DemoEnvironment {
  moto: MotoServer
  route53: Route53Loopback
  stacksets: StackSetLoopback
  dataApi: RedshiftDataApi
  /** Health endpoint per region, the stand-in for each regional API's deep health check. */
  health: Record<string, HealthEndpoint>
  snapshotAges: SnapshotAges
  /** Snapshot locks and Recycle Bin rules the EC2 extras layer answers. */
  snapshotExtras: SnapshotExtrasState
  endpoints: DemoEndpoints
  /** Environment for an action whose AWS calls go to `endpoint`: dummy credentials, this repository as the workspace. */
  envFor(endpoint: string): Record<string, string>
  /** Credentials for the demo's own set-up calls (seeding, topology). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  workspace: string
  outputDir: string
  echo: boolean
  runner?: StepRunner
  writeOutput(name: string, text: string): string
  /** Every action run so far, in order. */
  runs: Array<{ action: string; label: string; run: ActionRun }>
  stop(): Promise<void>
}

export async function startDemoEnvironment(options: DemoOptions = {}): Promise<DemoEnvironment> {
  const workspace = resolve(import.meta.dirname, '..')
  const outputDir = options.outputDir ?? join(workspace, 'demo-output')
  mkdirSync(outputDir, { recursive: true })
  const stops: Array<() => Promise<void>> = []
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined)
  }
  try {
    const moto = await startMoto()
    stops.push(() => moto.stop())
    // One checker round every 50 ms stands for Route 53's 10 s interval, so a drill takes seconds.
    // Client subnets in the demo's regions, for the drill's vantage points (demo/verify-failover.ts).
    const route53 = await startRoute53Loopback(moto.endpoint, {
      roundMs: 50,
      clientSubnetRegions: DEMO_CLIENT_SUBNETS,
    })
    stops.push(() => route53.close())
    const stacksets = await startStackSetLoopback(moto.endpoint, { runningPolls: 1 })
    stops.push(() => stacksets.close())
    const extras = snapshotExtrasState()
    const snapshotAges: SnapshotAges = new Map()
    const ec2: LoopbackProxy = await startLoopbackProxy(
      moto.endpoint,
      snapshotExtrasHandler(extras, snapshotAgesHandler(snapshotAges)),
    )
    stops.push(() => ec2.close())
    const dataApi = await startRedshiftDataApi()
    stops.push(() => dataApi.close())
    // Two regions serve their health path over HTTPS (self-signed, as Route 53 does not
    // validate certificates), one over plain HTTP.
    const tls = selfSignedCertificate()
    const health: Record<string, HealthEndpoint> = {}
    for (const [i, region] of DEMO_REGIONS.entries()) {
      const endpoint = await startHealthEndpoint('ok', '/health', i < 2 ? { tls } : {})
      health[region] = endpoint
      stops.push(() => endpoint.close())
    }
    const base = localAwsEnv(moto.endpoint)
    const env: Record<string, string> = { ...base, GITHUB_WORKSPACE: workspace, ...options.env }
    const runs: DemoEnvironment['runs'] = []
    return {
      moto,
      route53,
      stacksets,
      dataApi,
      health,
      snapshotAges,
      snapshotExtras: extras,
      endpoints: {
        cloudformation: moto.endpoint,
        route53: route53.endpoint,
        stacksets: stacksets.endpoint,
        ec2: ec2.endpoint,
        redshiftData: dataApi.endpoint,
      },
      envFor: (endpoint) => ({ ...env, AWS_ENDPOINT_URL: endpoint }),
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID!,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      },
      workspace,
      outputDir,
      echo: options.echo ?? true,
      ...(options.runner ? { runner: options.runner } : {}),
      writeOutput(name, text) {
        const file = join(outputDir, name)
        writeFileSync(file, text)
        return file
      },
      runs,
      stop: stopAll,
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}
