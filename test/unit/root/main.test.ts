import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { join } from 'node:path'
import { bundlePath, distFolder, prepareInputs } from '../../../actions/root/src/main.js'
import { ACTION_INPUTS } from '../../../actions/root/src/catalog.js'

describe('root action', () => {
  it('offers the five actions with the inputs and defaults of their own metadata', () => {
    expect(Object.keys(ACTION_INPUTS).sort()).toEqual([
      'deploy-multi-region',
      'prune-snapshots',
      'spectrum-benchmark',
      'stackset-rollout',
      'verify-failover',
    ])
    for (const [name, inputs] of Object.entries(ACTION_INPUTS)) {
      const metadata = parse(readFileSync(`actions/${name}/action.yml`, 'utf8')) as {
        inputs: Record<string, { default?: unknown }>
      }
      expect(Object.keys(inputs).sort()).toEqual(Object.keys(metadata.inputs).sort())
      for (const [input, spec] of Object.entries(metadata.inputs)) {
        expect(inputs[input]).toBe(spec.default === undefined ? '' : String(spec.default))
      }
    }
  })

  it('has an action.yml and catalog generated from the current metadata', () => {
    expect(() =>
      execFileSync('node', ['scripts/generate-root-action.mjs', '--check'], { stdio: 'pipe' }),
    ).not.toThrow()
    const root = parse(readFileSync('action.yml', 'utf8')) as {
      inputs: Record<string, unknown>
      runs: { using: string; main: string; post: string }
    }
    expect(root.runs).toEqual({
      using: 'node24',
      main: 'dist/root/index.js',
      post: 'dist/root/post/index.js',
    })
    for (const inputs of Object.values(ACTION_INPUTS)) {
      for (const input of Object.keys(inputs)) expect(root.inputs).toHaveProperty([input])
    }
  })

  it("fills the chosen action's defaults into inputs left empty", () => {
    const env: NodeJS.ProcessEnv = {
      INPUT_ACTION: 'prune-snapshots',
      INPUT_REGIONS: 'us-east-1',
      'INPUT_KEEP-LAST': '',
    }
    expect(prepareInputs(env)).toBe('prune-snapshots')
    expect(env['INPUT_KEEP-LAST']).toBe('7')
    expect(env['INPUT_MAX-DELETE']).toBe('100')
    expect(env.INPUT_REGIONS).toBe('us-east-1')
  })

  it('rejects an unknown action and an input the chosen action does not have', () => {
    expect(() => prepareInputs({ INPUT_ACTION: 'deploy' })).toThrow(/Input 'action': "deploy" is not valid/)
    expect(() =>
      prepareInputs({
        INPUT_ACTION: 'verify-failover',
        'INPUT_HOSTED-ZONE-ID': 'Z1',
        'INPUT_KEEP-LAST': '3',
      }),
    ).toThrow(/Input 'keep-last'.*only inputs of the 'verify-failover' action/)
    // Inputs the runner sets empty for the other actions are ignored.
    expect(prepareInputs({ INPUT_ACTION: 'verify-failover', 'INPUT_KEEP-LAST': '' })).toBe('verify-failover')
  })

  it("finds the actions' bundles from its own bundle and from its source", () => {
    expect(distFolder('/repo/dist/root')).toBe('/repo/dist')
    expect(distFolder('/repo/dist/root/post')).toBe('/repo/dist')
    // GitHub's local-action and tsx run actions/root/src/main.ts.
    expect(distFolder('/repo/actions/root/src')).toBe(join('/repo', 'dist'))
    expect(bundlePath('verify-failover', 'post', '/repo/dist')).toBe(
      '/repo/dist/verify-failover/post/index.js',
    )
    expect(bundlePath('prune-snapshots', 'main', distFolder(join(process.cwd(), 'actions/root/src')))).toBe(
      join(process.cwd(), 'dist/prune-snapshots/index.js'),
    )
  })
})
