/** The local AWS the demo runs against: moto_server on a free loopback port, started and stopped here. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { localAwsEnv, startMoto, type MotoServer } from '../test/support/moto.js'

export interface DemoEnvironment {
  moto: MotoServer
  /** Environment for the actions: the local endpoint, dummy credentials, this repository as the workspace. */
  env: Record<string, string>
  workspace: string
  outputDir: string
  writeOutput(name: string, text: string): string
}

export async function startDemoEnvironment(): Promise<DemoEnvironment> {
  const workspace = resolve(import.meta.dirname, '..')
  const outputDir = join(workspace, 'demo-output')
  mkdirSync(outputDir, { recursive: true })
  const moto = await startMoto()
  return {
    moto,
    env: { ...localAwsEnv(moto.endpoint), GITHUB_WORKSPACE: workspace },
    workspace,
    outputDir,
    writeOutput(name, text) {
      const file = join(outputDir, name)
      writeFileSync(file, text)
      return file
    },
  }
}
