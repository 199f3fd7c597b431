// The service bench/respawn.mjs respawns: it does nothing, and says when its
// process started, when Node had booted, when this module ran, and when the
// service started — so the bench can split the respawn into its parts.
import { Service } from '../../dist/service.js'

const now = () => performance.timeOrigin + performance.now()
const loadedAt = now()

class Idle extends Service {
  constructor(context) {
    super()
    this.context = context
  }

  start() {
    const { timeOrigin, nodeTiming } = performance
    process.stdout.write(
      `${JSON.stringify({
        event: 'service-start',
        pid: process.pid,
        worker: this.context.workerIndex,
        t: now(),
        processStart: timeOrigin,
        nodeBooted: timeOrigin + nodeTiming.bootstrapComplete,
        moduleLoaded: loadedAt,
      })}\n`,
    )
    this.addTimer(60_000, () => {})
  }
}

export function create(_options, context) {
  return new Idle(context)
}
