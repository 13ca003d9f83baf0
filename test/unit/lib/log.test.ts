import { RegionLog } from '../../../lib/log.js'

describe('RegionLog', () => {
  it('prefixes every line with its region and keeps the lines', () => {
    const printed: string[] = []
    const write = process.stdout.write.bind(process.stdout)
    process.stdout.write = ((chunk: string) => {
      printed.push(String(chunk))
      return true
    }) as typeof process.stdout.write
    try {
      const log = new RegionLog('eu-west-1')
      log.info('creating change set')
      log.error('CREATE_FAILED Queue', 'eu-west-1 failed')
    } finally {
      process.stdout.write = write
    }
    expect(printed[0]).toBe('[eu-west-1] creating change set\n')
    expect(printed[1]).toMatch(/^::error title=eu-west-1 failed::\[eu-west-1\] CREATE_FAILED Queue/)
  })
})
