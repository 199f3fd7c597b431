/**
 * oslo.service's ServiceLauncher: runs services in this process. Its own
 * module, so a ProcessLauncher worker loads only what it runs (respawn time
 * is start-up time); `./launcher` re-exports it.
 */
import { type Deferred, deferred } from './_deferred.js'
import { SupervisorError } from './errors.js'
import {
  formatMessage,
  type LaunchedService,
  type LaunchedServiceState,
  LauncherBase,
  type StartResult,
  timeoutPromise,
} from './launcher-base.js'
import type { JsonValue } from './protocol.js'
import { isServiceBase, type ServiceBase } from './service.js'
import {
  checkServiceArg,
  loadService,
  type ResolvedServiceSpec,
  resolveServiceSpec,
  type ServiceContext,
  type ServiceSpec,
} from './service-spec.js'

interface Entry {
  name: string
  spec: ResolvedServiceSpec | undefined
  service: ServiceBase | undefined
  context: Omit<ServiceContext, 'logger'>
  state: LaunchedServiceState
  started: Deferred<StartResult>
  settled: boolean
  /** The start in progress (first start or restart), resolving true when it succeeded. */
  starting: Promise<boolean> | undefined
  /** Options given by `updateService`, for the next restart in place. */
  pendingOptions?: { options: JsonValue | undefined }
  handle?: LaunchedService
}

/**
 * Runs services in this process (oslo.service's ServiceLauncher). A service
 * whose start fails stops the launcher with status 1.
 */
export class ServiceLauncher extends LauncherBase {
  #entries: Entry[] = []
  #stopping: Promise<number> | undefined
  #readySent = false
  #failed = false

  /**
   * Starts `service` (a live service, or a spec imported here) in this
   * process. `workers` must be 1: SupervisorError E_SUPERVISOR_WORKERS
   * otherwise. `context` sets what a spec's factory is told (worker slot…).
   */
  launchService(
    service: ServiceBase | ServiceSpec,
    workers = 1,
    context: Partial<Omit<ServiceContext, 'logger' | 'name'>> = {},
  ): LaunchedService {
    checkServiceArg(service, true)
    if (workers !== 1) {
      throw new SupervisorError(
        'E_SUPERVISOR_WORKERS',
        `ServiceLauncher asked to start ${workers} workers: it runs services in this process; use ProcessLauncher (or launch()) for worker processes`,
      )
    }
    if (this.stopping) {
      throw new SupervisorError(
        'E_SUPERVISOR_STATE',
        'launchService called after the launcher began stopping',
      )
    }
    const spec = isServiceBase(service) ? undefined : resolveServiceSpec(service)
    const name = spec?.name ?? service.constructor?.name ?? 'service'
    const entry: Entry = {
      name,
      spec,
      service: isServiceBase(service) ? service : undefined,
      context: {
        name,
        workerIndex: context.workerIndex ?? 0,
        respawns: context.respawns ?? 0,
        inWorker: context.inWorker ?? false,
      },
      state: 'starting',
      started: deferred<StartResult>(),
      settled: false,
      starting: undefined,
    }
    this.#entries.push(entry)
    this.#readySent = false
    entry.starting = this.#start(entry)
    entry.handle = {
      name,
      workers: 1,
      get state() {
        return entry.state
      },
      started: entry.started.promise,
      pids: () => (entry.state === 'running' ? [process.pid] : []),
    }
    return entry.handle
  }

  /**
   * New options for a launched service: with restart_method `mutate`, the
   * next restart (SIGHUP, `restart()`) hands them to its `mutate(options)`
   * before `reset()`; a spec's later (re)load gets them too.
   * SupervisorError E_SUPERVISOR_STATE for a handle it did not launch.
   */
  updateService(handle: LaunchedService, options: JsonValue | undefined): void {
    const entry = this.#entries.find((e) => e.handle === handle)
    if (!entry) {
      throw new SupervisorError(
        'E_SUPERVISOR_STATE',
        `updateService: ${handle.name} was not launched here`,
      )
    }
    if (entry.spec) entry.spec = { ...entry.spec, options }
    entry.pendingOptions = { options }
  }

  async #start(entry: Entry): Promise<boolean> {
    try {
      if (!entry.service) {
        entry.service = await loadService(entry.spec!, {
          ...entry.context,
          logger: this.logger.child({ service: entry.name }),
        })
      }
      if (this.stopping) return false
      await entry.service.start()
      entry.state = 'running'
      this.#settle(entry, { ok: true })
      this.#checkReady()
      return true
    } catch (err) {
      const error =
        err instanceof Error
          ? err
          : new SupervisorError('E_SUPERVISOR_SERVICE_START', formatMessage(err))
      entry.state = 'failed'
      this.#settle(entry, { ok: false, error })
      if (this.stopping) return false
      this.logger.error(
        { err, service: entry.name },
        `Error starting service ${entry.name}: ${formatMessage(err)}`,
      )
      this.#failed = true
      void this.stop()
      return false
    }
  }

  #settle(entry: Entry, result: StartResult): void {
    if (entry.settled) return
    entry.settled = true
    entry.started.resolve(result)
  }

  #checkReady(): void {
    if (this.state !== 'running' || this.#readySent) return
    if (!this.#entries.every((e) => e.state === 'running')) return
    this.#readySent = true
    this.emit('ready')
    this.notify('ready')
  }

  /**
   * Graceful stop of every service within graceful_shutdown_timeout (those
   * whose start failed too, as oslo does); resolves the exit status. With
   * `hardExit`, the deadline holds even when a service blocks the event loop.
   */
  stop(): Promise<number> {
    this.#stopping ??= (async () => {
      this.state = 'stopping'
      this.emit('stopping')
      this.notify('stopping')
      this.armStopDeadline(this.gracefulShutdownMs)
      const outcome = await this.#stopServices()
      const code = outcome === 'stopped' && !this.#failed ? 0 : 1
      if (outcome === 'timeout') this.exitSoon()
      else this.disarmStopDeadline()
      this.finish(code)
      return code
    })()
    return this.#stopping
  }

  /**
   * Stops (gracefully) and waits for every service: `stopped`, `errors` when
   * a stop threw, `timeout` when graceful_shutdown_timeout ran out.
   */
  async #stopServices(): Promise<'stopped' | 'errors' | 'timeout'> {
    let errors = 0
    // A service whose start failed is stopped too: it may hold what it began.
    const pending = new Set(this.#entries.filter((e) => e.service && e.state !== 'stopped'))
    // The deadline timer first: it must be due before anything below can block this thread.
    const timeout = timeoutPromise(this.gracefulShutdownMs)
    const all = Promise.all(
      [...pending].map(async (e) => {
        try {
          await e.starting
          if (e.service && (e.state === 'running' || e.state === 'failed')) {
            await e.service.stop(true)
            await e.service.wait()
            if (e.state === 'running') e.state = 'stopped'
          }
        } catch (err) {
          errors++
          this.logger.error(
            { err, service: e.name },
            `Error stopping service ${e.name}: ${formatMessage(err)}`,
          )
        } finally {
          pending.delete(e)
        }
      }),
    )
    const outcome = await Promise.race([all.then(() => 'stopped' as const), timeout.promise])
    timeout.clear()
    if (outcome === 'timeout') {
      const names = [...pending].map((e) => e.name)
      this.logger.error(
        { services: names, gracefulShutdownTimeout: this.gracefulShutdownMs / 1000 },
        `Graceful shutdown timeout exceeded (${this.gracefulShutdownMs / 1000} s), exiting with ${names.length} service(s) still running: ${names.join(', ')}`,
      )
      return 'timeout'
    }
    return errors === 0 ? 'stopped' : 'errors'
  }

  protected readonly restartSubject = 'services'

  protected override onRestartBegin(): void {
    this.#readySent = false
  }

  protected onRestartAbandoned(): void {
    this.#checkReady()
  }

  /**
   * `reload`: stops every service, `reset()`s and starts it again; `mutate`:
   * `reset()`s the running services.
   */
  protected async restartServices(): Promise<void> {
    if (this.restartMethod === 'reload') {
      this.armStopDeadline(this.gracefulShutdownMs)
      const outcome = await this.#stopServices()
      this.disarmStopDeadline()
      if (outcome !== 'stopped') {
        this.#failed = true
        void this.stop()
        return
      }
      if (this.stopping) return
      for (const e of this.#entries) {
        if (e.state === 'failed' || !e.service) continue
        await e.service.reset()
        e.state = 'starting'
        e.starting = this.#start(e)
      }
      if (!(await Promise.all(this.#entries.map((e) => e.starting))).every(Boolean)) return
    } else {
      for (const e of this.#entries) {
        if (e.state !== 'running') continue
        const pending = e.pendingOptions
        e.pendingOptions = undefined
        try {
          if (pending && e.service!.mutate) await e.service!.mutate(pending.options)
        } catch (err) {
          this.logger.error(
            { err, service: e.name },
            `Applying new options to ${e.name} failed, it keeps running as it was: ${formatMessage(err)}`,
          )
        }
        await e.service!.reset()
      }
    }
    if (this.stopping) return
    this.state = 'running'
    this.#checkReady()
  }

  protected abort(): void {
    for (const e of this.#entries) {
      try {
        void Promise.resolve(e.service?.stop(false)).catch(() => {})
      } catch {}
    }
  }
}
