// The entry of a ProcessLauncher worker process. It says hello, receives what
// to run, and runs it under an in-process ServiceLauncher (so SIGTERM,
// SIGINT and SIGHUP mean here what they mean in a single-process service),
// reporting to the parent when its service started, failed to start, or got
// a signal. It exits soon after the parent dies, even a SIGKILLed one.
import type { ServiceLauncher } from './launcher.js'
import type { InitMessage, WorkerMessage } from './launcher-process.js'
import { exitWhenParentDies } from './watchdog.js'

// Respawn time is start-up time: say hello first and load the launcher (and
// its logger) while the parent answers, then the service's module beside it.
const deps = Promise.all([
  import('./launcher.js'),
  import('@forklift/log'),
  import('./_launcher-common.js'),
])

const inFlight = new Set<Promise<void>>()

function tell(msg: WorkerMessage): Promise<void> {
  if (!process.connected || !process.send) return Promise.resolve()
  const p = new Promise<void>((resolve) => {
    try {
      process.send!(msg, undefined, {}, () => resolve())
    } catch {
      resolve()
    }
  })
  inFlight.add(p)
  p.then(() => inFlight.delete(p))
  return p
}

/** Exits once the messages already sent are on their way (bounded: the parent may be gone). */
async function exit(code: number): Promise<never> {
  await Promise.race([Promise.all(inFlight), new Promise((r) => setTimeout(r, 500))])
  process.exit(code)
}

let launcher: ServiceLauncher | undefined

exitWhenParentDies({
  graceMs: Number(process.env.FORKLIFT_LAUNCHER_ORPHAN_GRACE_MS) || 1000,
  exitCode: 1,
  onParentDeath: async () => {
    // A dead parent cannot hear us: nothing to report, just stop.
    launcher?.removeAllListeners('ready')
    await launcher?.stop()
  },
})

process.once('message', async (msg: InitMessage) => {
  if (msg?.type !== 'init') {
    console.error(`forklift launcher worker: expected an init message, got ${JSON.stringify(msg)}`)
    process.exit(2)
  }
  // Warm the service's module; loadService imports it again (from the cache) and reports failures.
  import(msg.spec.url).catch(() => {})
  const [{ ServiceLauncher }, { createLogger, silentLogger }, { serializeError }] = await deps
  const bindings = { service: msg.spec.name, worker: msg.workerIndex }
  const logger = msg.log
    ? createLogger({ ...msg.log, bindings: { ...msg.log.bindings, ...bindings } })
    : silentLogger()
  const l = new ServiceLauncher({
    logger,
    gracefulShutdownTimeout: msg.gracefulShutdownTimeout,
    ...(msg.restartMethod ? { restartMethod: msg.restartMethod } : {}),
    // The parent decided this SIGHUP means restart; the terminal check was its job.
    daemon: true,
    notify: false,
  })
  launcher = l
  l.on('ready', () => void tell({ type: 'started' }))
  l.on('signal', (signal: NodeJS.Signals) => void tell({ type: 'signal', signal }))
  const { url, export: exportName, name, options } = msg.spec
  const handle = l.launchService({ module: url, export: exportName, name, options }, 1, {
    workerIndex: msg.workerIndex,
    respawns: msg.respawns,
    inWorker: true,
  })
  handle.started.then((result) => {
    if (!result.ok) void tell({ type: 'start-failed', error: serializeError(result.error) })
  })
  l.wait().then(exit)
})

void tell({ type: 'hello' })
