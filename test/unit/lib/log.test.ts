import { jest } from '@jest/globals'
import {
  Annotations,
  configureHeartbeat,
  heartbeatLine,
  RegionLog,
  shortDuration,
  waitingOn,
} from '../../../lib/log.js'

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
  it('prints every line as it comes, then folds each region into one ::group:: record when it is done', async () => {
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
      '[us-east-1] east 1',
      '[eu-west-1] west 1',
      '[eu-west-1] west 2',
      '::group::[eu-west-1] failed in 0.5 s',
      '[eu-west-1] west 1',
      '[eu-west-1] west 2',
      '::endgroup::',
      '[us-east-1] east 2',
      '::group::[us-east-1] created in 1.0 s',
      '[us-east-1] east 1',
      '[us-east-1] east 2',
      '::endgroup::',
    ])
  })
  it('prints lines at once and puts annotations after the record, not inside it', async () => {
    const log = new RegionLog('eu-west-1', { grouped: true })
    const before = await captured(() => {
      log.info('creating change set')
      log.warning('slow', { file: 't.yaml', line: 3 })
    })
    expect(before).toEqual(['[eu-west-1] creating change set', '[eu-west-1] Warning: slow'])
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
    // Each region's error line is printed live, then again in its record.
    expect(printed.filter((l) => l.endsWith('] Error: Queue (AWS::SQS::Queue): invalid name'))).toHaveLength(
      6,
    )
    // The annotation comes after the last group closed.
    expect(printed.lastIndexOf('::endgroup::')).toBeLessThan(printed.indexOf(errors[0]!))
  })
})

describe('RegionLog, openGroup', () => {
  it('heads the record of the lines that follow; annotations come after it', async () => {
    const log = new RegionLog('us-east-1', { grouped: true })
    const opened = await captured(() => {
      log.info('before')
      log.openGroup('drill')
      log.info('inverting the health check')
      log.error('no failover', 'verify-failover drill')
    })
    expect(opened).toEqual([
      '[us-east-1] before',
      '::group::[us-east-1]',
      '[us-east-1] before',
      '::endgroup::',
      '[us-east-1] inverting the health check',
      '[us-east-1] Error: no failover',
    ])
    expect(await captured(() => log.flush())).toEqual([
      '::group::[us-east-1] drill',
      '[us-east-1] inverting the health check',
      '[us-east-1] Error: no failover',
      '::endgroup::',
      '::error title=verify-failover drill::[us-east-1] no failover',
    ])
  })
})

describe('RegionLog, foreign text', () => {
  const forged = 'Resource failed\n::stop-commands::x\n::warning::y\r::add-mask::z'
  it('never prints a line that starts a workflow command', async () => {
    const annotations = new Annotations(['eu-west-1'])
    const grouped = new RegionLog('eu-west-1', { grouped: true, annotations })
    const plain = new RegionLog('us-east-1')
    const printed = await captured(() => {
      grouped.info(forged)
      grouped.error(forged, forged)
      grouped.flush(forged)
      annotations.emit()
      plain.warning(forged)
      plain.info(forged)
    })
    const commands = printed.filter((l) => /^\s*::/.test(l)).map((l) => /^::([a-z-]+)/.exec(l)![1])
    expect(commands).toEqual(['group', 'endgroup', 'error', 'warning'])
    expect(printed).toContain(
      '[eu-west-1] Resource failed\\n::stop-commands::x\\n::warning::y\\r::add-mask::z',
    )
  })
})

describe('the heartbeat', () => {
  let now = 0
  beforeEach(() => {
    jest.useFakeTimers()
    now = 1_000_000
    configureHeartbeat({ intervalMs: 20_000, now: () => now })
  })
  afterEach(() => {
    configureHeartbeat()
    jest.useRealTimers()
  })
  const advance = (ms: number) => {
    for (let t = 0; t < ms; t += 1000) {
      now += 1000
      jest.advanceTimersByTime(1000)
    }
  }

  it('names each unfinished target, what it is doing and for how long, when the log is quiet', async () => {
    const east = new RegionLog('us-east-1', { grouped: true })
    const west = new RegionLog('eu-west-1', { grouped: true })
    const printed = await captured(() => {
      east.info('Change set executed')
      east.activity('UPDATE_IN_PROGRESS', 'waiting on OrdersTable')
      west.info('Creating change set')
      advance(19_000)
      east.activity('UPDATE_IN_PROGRESS', 'waiting on OrdersTable, Queue')
      advance(2_000)
    })
    expect(printed.slice(2)).toEqual([
      'Still in progress (2): us-east-1 UPDATE_IN_PROGRESS 20s, waiting on OrdersTable, Queue; eu-west-1 20s, last: Creating change set',
    ])
    const later = await captured(() => {
      west.flush('created')
      advance(4 * 60_000)
      east.flush('updated')
      advance(60_000)
    })
    const beats = later.filter((l) => l.startsWith('Still in progress'))
    // After 20 s of quiet (checked every 2 s) while us-east-1 is in progress, none once it is done.
    expect(beats).toHaveLength(11)
    expect(beats.at(-1)).toBe(
      'Still in progress (1): us-east-1 UPDATE_IN_PROGRESS 4m02s, waiting on OrdersTable, Queue',
    )
    expect(heartbeatLine()).toBeUndefined()
  })
  it('still names the targets at least every minute while lines flow', async () => {
    const log = new RegionLog('us-east-1', { grouped: true })
    const printed = await captured(() => {
      for (let i = 0; i < 150; i++) {
        log.info(`event ${i}`)
        advance(1000)
      }
      log.flush()
    })
    expect(printed.filter((l) => l.startsWith('Still in progress'))).toHaveLength(2)
  })
})

describe('waitingOn and shortDuration', () => {
  it('names the resources whose latest event is in progress', () => {
    const events = [
      { LogicalResourceId: 'api', ResourceStatus: 'UPDATE_IN_PROGRESS' },
      { LogicalResourceId: 'OrdersTable', ResourceStatus: 'UPDATE_IN_PROGRESS' },
      { LogicalResourceId: 'Queue', ResourceStatus: 'CREATE_IN_PROGRESS' },
      { LogicalResourceId: 'Queue', ResourceStatus: 'CREATE_COMPLETE' },
    ]
    expect(waitingOn(events, 'api')).toBe('waiting on OrdersTable')
    expect(waitingOn(events.slice(0, 1), 'api')).toBeUndefined()
  })
  it('reads as a person says it', () => {
    expect([0, 40_000, 250_000, 3_720_000].map(shortDuration)).toEqual(['0s', '40s', '4m10s', '1h02m'])
  })
})
