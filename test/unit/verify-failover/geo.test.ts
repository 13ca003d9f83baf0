import { REGION_LOCATIONS, regionDistance } from '../../../actions/verify-failover/src/geo.js'
import { PARTITION_REGIONS } from '../../../lib/regions.js'

describe('regionDistance', () => {
  it('knows every commercial, China and GovCloud region', () => {
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov']) {
      for (const region of PARTITION_REGIONS[partition]!) expect(REGION_LOCATIONS[region]).toBeDefined()
    }
  })
  it('orders regions by distance', () => {
    expect(regionDistance('us-east-1', 'us-east-1')).toBe(0)
    expect(regionDistance('us-east-1', 'eu-west-1')).toBeLessThan(
      regionDistance('us-east-1', 'ap-southeast-2'),
    )
    expect(regionDistance('eu-west-1', 'eu-west-2')).toBeLessThan(1000)
    expect(regionDistance('us-east-1', 'nowhere-1')).toBe(40000)
  })
})
