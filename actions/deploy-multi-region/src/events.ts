/**
 * Following a target's stack events: each event is passed to `emit` once, as it
 * is seen, and kept so a failure can be explained from this run's own events.
 */
import { describeError } from '../../../lib/aws.js'
import { waitingOn, type RegionLog } from '../../../lib/log.js'
import type { CloudFormationApi } from './cloudformation-api.js'
import type { StackEventLike } from './model.js'
import { EventTracker, formatEvent } from './plan.js'

export class EventFollower {
  private readonly tracker = new EventTracker()
  private warned = false

  constructor(
    private readonly api: CloudFormationApi,
    private readonly log: RegionLog,
    /** Where each new event goes, one call per event: the target's log by default. */
    private readonly emit: (event: StackEventLike) => void = (event) => log.info(formatEvent(event)),
  ) {}

  /** Marks the stack's history before this run as seen, so it is not printed again. */
  prime(stack: string): Promise<void> {
    return this.api.primeEvents(stack, this.tracker)
  }

  /** Reads the events not seen yet and emits them. Events are for people: a failed read is warned once. */
  async catchUp(stack: string): Promise<void> {
    try {
      for (const event of await this.api.readNewEvents(stack, this.tracker)) this.emit(event)
    } catch (error) {
      if (!this.warned) this.log.warning(`Could not read stack events: ${describeError(error)}`)
      this.warned = true
    }
  }

  /** A mark in the events seen so far; `since(mark)` gives the events seen after it. */
  mark(): number {
    return this.tracker.events.length
  }

  since(mark: number): StackEventLike[] {
    return this.tracker.events.slice(mark)
  }

  /** The resources still in progress among the events seen, for the heartbeat ("waiting on Queue"). */
  waitingOn(stackName: string): string | undefined {
    return waitingOn(this.tracker.events, stackName)
  }
}
