// The entry of a ProcessLauncher worker process. It says hello, receives what
// to run, and runs it under an in-process ServiceLauncher (so SIGTERM,
// SIGINT and SIGHUP mean here what they mean in a single-process service),
// reporting to the parent when its service started, failed to start, or got
// a signal. It exits soon after the parent dies, even a SIGKILLed one.

import type { Logger } from '@forklift/log'
import {
  exitAfterTelling,
  nextParentMessage,
  onParentMessage,
  tellParent,
  watchParent,
} from './_parent.js'
import type { ServiceLauncher } from './launcher-service.js'
import { serializeError } from './protocol.js'

// Respawn time is start-up time: say hello first and load the launcher (and
// its logger) while the parent answers, then the service's module beside it.
const deps = Promise.all([import('./launcher-service.js'), import('@forklift/log')])

let launcher: ServiceLauncher | undefined
let log: Logger | undefined
/** The parent died under us: whatever the service's stop says, this is no clean exit. */
let orphaned = false

/** oslo's line when a worker finds its parent gone. */
const PARENT_DIED_MESSAGE = 'Parent process has died unexpectedly, exiting'

const watch = watchParent({
  exitCode: 1,
  onParentDeath: async () => {
    orphaned = true
    log?.error({ parent: process.ppid }, PARENT_DIED_MESSAGE)
    // A dead parent cannot hear us: nothing to report, just stop.
    launcher?.removeAllListeners('ready')
    await launcher?.stop()
  },
})

void nextParentMessage('service-init').then(async (msg) => {
  watch.setGraceMs(msg.orphanGraceMs)
  // Warm the service's module; loadService imports it again (from the cache) and reports failures.
  import(msg.spec.url).catch(() => {})
  const [{ ServiceLauncher }, { createLogger, silentLogger }] = await deps
  const bindings = { service: msg.spec.name, worker: msg.workerIndex }
  const logger = msg.log
    ? createLogger({ ...msg.log, bindings: { ...msg.log.bindings, ...bindings } })
    : silentLogger()
  log = logger
  const l = new ServiceLauncher({
    logger,
    gracefulShutdownTimeout: msg.gracefulShutdownTimeout,
    restartMethod: msg.restartMethod,
    // The parent decided this SIGHUP means restart; the terminal check was its job.
    daemon: true,
    notify: false,
  })
  launcher = l
  l.on('ready', () => void tellParent({ forklift: 1, type: 'ready' }))
  l.on(
    'signal',
    (signal: NodeJS.Signals) => void tellParent({ forklift: 1, type: 'signal', signal }),
  )
  const { url, export: exportName, name, options } = msg.spec
  const handle = l.launchService({ module: url, export: exportName, name, options }, 1, {
    workerIndex: msg.workerIndex,
    respawns: msg.respawns,
    inWorker: true,
  })
  // restart_method mutate: the parent's re-read options, applied here in place (as SIGHUP would, with them).
  onParentMessage('service-mutate', ({ options }) => {
    l.updateService(handle, options)
    void l.restart()
  })
  handle.started.then((result) => {
    if (!result.ok) {
      void tellParent({ forklift: 1, type: 'failed', error: serializeError(result.error) })
    }
  })
  // An orphan's stop may well be clean: its exit must still say something went wrong.
  l.wait().then((code) => exitAfterTelling(orphaned ? Math.max(code, 1) : code))
})

void tellParent({ forklift: 1, type: 'hello' })
