import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { CloudFormationApi } from '../../../actions/deploy-multi-region/src/cloudformation-api.js'
import { EventFollower } from '../../../actions/deploy-multi-region/src/events.js'
import type { StackEventLike } from '../../../actions/deploy-multi-region/src/model.js'
import { RegionLog } from '../../../lib/log.js'

describe('EventFollower', () => {
  it('passes each new stack event to its one callback once, oldest first, and not the history before the run', async () => {
    let pages: StackEventLike[][] = [[{ EventId: 'before' }]]
    const send = async () => ({ StackEvents: pages.shift() ?? [] })
    const client = Object.assign(Object.create(CloudFormationClient.prototype) as CloudFormationClient, {
      send,
    })
    const seen: string[] = []
    const follower = new EventFollower(new CloudFormationApi(client), new RegionLog('us-east-1'), (e) =>
      seen.push(e.EventId ?? ''),
    )
    await follower.prime('orders')
    const mark = follower.mark()
    pages = [
      [{ EventId: 'e2' }, { EventId: 'e1' }, { EventId: 'before' }],
      [{ EventId: 'e3' }, { EventId: 'e2' }],
    ]
    await follower.catchUp('orders')
    await follower.catchUp('orders')
    expect(seen).toEqual(['e1', 'e2', 'e3'])
    expect(follower.since(mark).map((e) => e.EventId)).toEqual(['e1', 'e2', 'e3'])
  })
})
