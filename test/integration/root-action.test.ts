/**
 * The committed bundles as a runner executes them: each action's dist bundle
 * starts and validates its inputs, and the root action's bundle dispatches to
 * the chosen action's bundle (main and post step) with its defaults.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCommandFile } from '../support/action-runner.js'

function runBundle(bundle: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'))
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_')))
  const result = spawnSync(process.execPath, [bundle], {
    env: { ...inherited, ...files, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', ...env },
    encoding: 'utf8',
    timeout: 60000,
  })
  return { ...result, state: parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8')) }
}

const BAD_INPUT: Record<string, Record<string, string>> = {
  'deploy-multi-region': {
    'INPUT_STACK-NAME': 'demo',
    INPUT_TEMPLATE: 'templates/sample-queue.yaml',
    INPUT_REGIONS: 'mars-north-1',
  },
  'stackset-rollout': {
    'INPUT_STACK-SET-NAME': 'x',
    INPUT_TEMPLATE: 'templates/stackset-sample.yaml',
    INPUT_REGIONS: 'mars-north-1',
  },
  'verify-failover': {
    'INPUT_HOSTED-ZONE-ID': 'Z0123456789ABCDEFGHIJ',
    'INPUT_RECORD-NAME': 'a.example.com',
    'INPUT_DRILL-REGION': 'mars-north-1',
  },
  'prune-snapshots': { INPUT_REGIONS: 'mars-north-1' },
  'spectrum-benchmark': {
    'INPUT_WORKGROUP-NAME': 'spectrum-poc',
    INPUT_DATABASE: 'dev',
    INPUT_QUERIES: 'queries/spectrum-poc/*.sql',
    INPUT_ITERATIONS: '0',
  },
}

describe('committed bundles', () => {
  it.each(Object.entries(BAD_INPUT))('dist/%s starts and rejects a bad input', (name, env) => {
    const result = runBundle(`dist/${name}/index.js`, { GITHUB_WORKSPACE: process.cwd(), ...env })
    expect(result.status).toBe(2)
    expect(result.stdout).toMatch(/::error::Input '(regions|drill-region|iterations)'/)
  })

  it('the root action runs the chosen action with its defaults and records it for the post step', () => {
    const result = runBundle('dist/root/index.js', {
      GITHUB_WORKSPACE: process.cwd(),
      INPUT_ACTION: 'prune-snapshots',
      INPUT_REGIONS: 'us-east-1',
      'INPUT_KEEP-DAILY': 'seven',
    })
    expect(result.status).toBe(2)
    expect(result.stdout).toContain(`::error::Input 'keep-daily': "seven" is not valid`)
    expect(result.state['multi-region-actions-action']).toBe('prune-snapshots')
  })

  it('the root action refuses an input of another action', () => {
    const result = runBundle('dist/root/index.js', {
      INPUT_ACTION: 'verify-failover',
      'INPUT_HOSTED-ZONE-ID': 'Z0123456789ABCDEFGHIJ',
      'INPUT_RECORD-NAME': 'api.example.com',
      'INPUT_KEEP-LAST': '3',
    })
    expect(result.status).toBe(2)
    expect(result.stdout).toContain("::error::Input 'keep-last'")
  })

  it("the root action's post step runs the chosen action's post step", () => {
    const result = runBundle('dist/root/post/index.js', {
      'STATE_multi-region-actions-action': 'verify-failover',
    })
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('nothing to restore')
  })
})
