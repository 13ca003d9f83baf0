import { Annotations, RegionLog } from '../../../lib/log.js'

/** What the action printed to stdout (where @actions/core writes commands and lines). */
async function captured(body: () => void | Promise<void>): Promise<string[]> {
  const printed: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string) => {
    printed.push(...String(chunk).replace(/\n$/, '').split('\n'))
    return true
  }) as typeof process.stdout.write
  try {
    await body()
  } finally {
    process.stdout.write = write
  }
  return printed
}

describe('RegionLog, ungrouped', () => {
  it('prefixes every line with its region and keeps the lines', async () => {
    const log = new RegionLog('eu-west-1')
    const printed = await captured(() => {
      log.info('creating change set')
      log.error('CREATE_FAILED Queue', 'eu-west-1 failed')
    })
    expect(printed[0]).toBe('[eu-west-1] creating change set')
    expect(printed[1]).toMatch(/^::error title=eu-west-1 failed::\[eu-west-1\] CREATE_FAILED Queue/)
    expect(log.lines).toEqual(['creating change set', 'CREATE_FAILED Queue'])
  })
  it('points an annotation at the file and line of the failing resource', async () => {
    const log = new RegionLog('eu-west-1')
    const printed = await captured(() =>
      log.error('Queue failed', 'deploy', { file: 'templates/api.yaml', line: 12 }),
    )
    expect(printed[0]).toBe('::error title=deploy,file=templates/api.yaml,line=12::[eu-west-1] Queue failed')
  })
})

describe('RegionLog, grouped', () => {
  it('folds each region into one ::group:: block, even when regions log side by side', async () => {
    const east = new RegionLog('us-east-1', { grouped: true })
    const west = new RegionLog('eu-west-1', { grouped: true })
    const printed = await captured(async () => {
      // Two regions working at once: their lines arrive interleaved, and west
      // finishes first (ordered by promises, not by timers a busy machine may reorder).
      let westDone!: () => void
      const westFinished = new Promise<void>((r) => (westDone = r))
      await Promise.all([
        (async () => {
          east.info('east 1')
          await westFinished
          east.info('east 2')
          east.flush('created in 1.0 s')
        })(),
        (async () => {
          west.info('west 1')
          await Promise.resolve()
          west.info('west 2')
          west.flush('failed in 0.5 s')
          westDone()
        })(),
      ])
    })
    expect(printed).toEqual([
      '::group::[eu-west-1] failed in 0.5 s',
      '[eu-west-1] west 1',
      '[eu-west-1] west 2',
      '::endgroup::',
      '::group::[us-east-1] created in 1.0 s',
      '[us-east-1] east 1',
      '[us-east-1] east 2',
      '::endgroup::',
    ])
  })
  it('prints nothing until flushed, and puts annotations after the group, not inside it', async () => {
    const log = new RegionLog('eu-west-1', { grouped: true })
    const before = await captured(() => {
      log.info('creating change set')
      log.warning('slow', { file: 't.yaml', line: 3 })
    })
    expect(before).toEqual([])
    const printed = await captured(() => log.flush('updated'))
    expect(printed).toEqual([
      '::group::[eu-west-1] updated',
      '[eu-west-1] creating change set',
      '[eu-west-1] Warning: slow',
      '::endgroup::',
      '::warning file=t.yaml,line=3::[eu-west-1] slow',
    ])
    expect(await captured(() => log.flush())).toEqual([])
    // A heading alone is no reason for an empty group.
    expect(await captured(() => log.flush('deletions'))).toEqual([])
  })
  it('annotates the same failure of several regions once, naming the regions', async () => {
    const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
    const annotations = new Annotations(regions)
    const logs = regions.map((r) => new RegionLog(r, { grouped: true, annotations }))
    const printed = await captured(() => {
      // Regions finish in any order; the annotation lists them as they were given.
      for (const log of [logs[2]!, logs[0]!, logs[1]!]) {
        log.error('Queue (AWS::SQS::Queue): invalid name', 'deploy-multi-region', { file: 'q.yaml', line: 4 })
        log.flush('failed')
      }
      annotations.emit()
    })
    const errors = printed.filter((l) => l.startsWith('::error'))
    expect(errors).toEqual([
      '::error title=deploy-multi-region,file=q.yaml,line=4::[us-east-1, eu-west-1, ap-southeast-2] Queue (AWS::SQS::Queue): invalid name',
    ])
    // Every group still shows its region's error line.
    expect(printed.filter((l) => l.endsWith('] Error: Queue (AWS::SQS::Queue): invalid name'))).toHaveLength(
      3,
    )
    // The annotation comes after the last group closed.
    expect(printed.lastIndexOf('::endgroup::')).toBeLessThan(printed.indexOf(errors[0]!))
  })
})

describe('RegionLog, live group', () => {
  it('opens the group at once, prints lines as they come, and annotates after it closes', async () => {
    const log = new RegionLog('us-east-1', { grouped: true })
    const opened = await captured(() => {
      log.info('before')
      log.openGroup('drill')
      log.info('inverting the health check')
      log.error('no failover', 'verify-failover drill')
    })
    expect(opened).toEqual([
      '::group::[us-east-1]',
      '[us-east-1] before',
      '::endgroup::',
      '::group::[us-east-1] drill',
      '[us-east-1] inverting the health check',
      '[us-east-1] Error: no failover',
    ])
    expect(await captured(() => log.flush())).toEqual([
      '::endgroup::',
      '::error title=verify-failover drill::[us-east-1] no failover',
    ])
  })
})
