/**
 * `npm run demo`: runs the toolkit's main job end to end against a local AWS
 * endpoint that it starts and stops itself. Each step is a function in its own
 * file under demo/ and reports whether it succeeded.
 */
import { deployMultiRegion } from './deploy-multi-region.js'
import { startDemoEnvironment, type DemoEnvironment } from './environment.js'

interface DemoStep {
  title: string
  run: (demo: DemoEnvironment) => Promise<boolean>
}

const STEPS: DemoStep[] = [{ title: 'Deploy the sample template to three regions', run: deployMultiRegion }]

async function main(): Promise<number> {
  const demo = await startDemoEnvironment()
  console.log(`moto_server listening on ${demo.moto.endpoint}`)
  let failures = 0
  try {
    for (const [i, step] of STEPS.entries()) {
      console.log(`\n=== Step ${i + 1}/${STEPS.length}: ${step.title} ===\n`)
      const ok = await step.run(demo)
      console.log(`\nStep ${i + 1} ${ok ? 'succeeded' : 'FAILED'}.`)
      if (!ok) failures++
    }
  } finally {
    await demo.moto.stop()
  }
  console.log(
    failures === 0
      ? '\nDemo finished: every step succeeded.'
      : `\nDemo finished: ${failures} step(s) failed.`,
  )
  return failures === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
