import { formatError } from '@forklift/errors'
import { type Logger, silentLogger } from '@forklift/log'
import { type Loop, startLoop } from './_loop.js'
import { loadDriverFactory, type VolumeDriver } from './driver.js'
import { RegistryError } from './errors.js'
import { HeartbeatReporter } from './heartbeat.js'
import {
  DEFAULT_PERIODIC_INTERVAL,
  DEFAULT_REPORT_INTERVAL,
  DEFAULT_SERVICE_DOWN_TIME,
  effectiveServiceDownTime,
} from './liveness.js'
import { openRegistry, type Registry, type ServiceRecord } from './registry.js'

/** The binary (and topic) volume services register as, like cinder's `cinder-volume`. */
export const VOLUME_BINARY = 'forklift-volume'

/** Plain JSON, so a launcher can hand it to a worker process. */
export interface VolumeServiceOptions {
  /** Registry connection URL (`sqlite:///…`, `postgresql://…`). */
  connection: string
  backend: string
  /** `host@backend`. */
  host: string
  /** `cluster@backend`, or null. */
  cluster?: string | null
  binary?: string
  topic?: string
  /** `<module>#<export>` of a VolumeDriverFactory. */
  volumeDriver: string
  /** Directory that relative driver paths resolve against (the config file's). */
  baseDir: string
  /** The backend's config section, handed to the driver. */
  config?: Record<string, string>
  /** Seconds; fractions allowed. Defaults 10 / 60 / 60 as cinder. */
  reportInterval?: number
  periodicInterval?: number
  serviceDownTime?: number
}

/**
 * cinder's volume Service for one backend: registers (or reuses) its record,
 * loads and initialises the driver, heartbeats every report_interval and runs
 * the driver's periodic tasks every periodic_interval. Implements the
 * launcher Service contract (`start`, `stop`, `wait`, `reset`). The database
 * is opened in `start()`, i.e. in the worker process that runs the service.
 *
 * A driver that cannot be loaded or built makes `start()` reject (the launcher
 * skips the backend). A driver whose doSetup/checkForSetupError fails keeps the
 * service running but not working: no heartbeats, so it shows down.
 */
export class VolumeService {
  readonly options: VolumeServiceOptions
  readonly #log: Logger
  #registry: Registry | undefined
  #driver: VolumeDriver | undefined
  #initialized = false
  #heartbeat: HeartbeatReporter | undefined
  #periodic: Loop | undefined
  #record: ServiceRecord | undefined
  #stopped: Promise<void> | undefined
  #resolveStopped: (() => void) | undefined

  constructor(options: VolumeServiceOptions, logger: Logger = silentLogger()) {
    this.options = options
    this.#log = logger
  }

  /** The registry record, once started. */
  get record(): ServiceRecord | undefined {
    return this.#record
  }

  /** Whether the driver initialised (cinder's manager.is_working()). */
  get isWorking(): boolean {
    return this.#initialized
  }

  /** Registers, loads the driver, initialises it, starts heartbeats and periodic tasks. */
  async start(): Promise<void> {
    const o = this.options
    const binary = o.binary ?? VOLUME_BINARY
    const identity = { host: o.host, binary, topic: o.topic ?? binary, cluster: o.cluster ?? null }
    const reportInterval = o.reportInterval ?? DEFAULT_REPORT_INTERVAL
    const periodicInterval = o.periodicInterval ?? DEFAULT_PERIODIC_INTERVAL
    effectiveServiceDownTime(
      reportInterval,
      o.serviceDownTime ?? DEFAULT_SERVICE_DOWN_TIME,
      this.#log,
    )
    this.#stopped = new Promise((r) => {
      this.#resolveStopped = r
    })
    this.#log.info(
      { topic: identity.topic, host: o.host, cluster: identity.cluster },
      `Starting ${identity.topic} node`,
    )

    const factory = await loadDriverFactory(o.volumeDriver, o.baseDir)
    this.#registry ??= openRegistry(o.connection, { logger: this.#log })
    this.#record = await this.#registry.register(identity)
    try {
      this.#driver = await factory({
        backend: o.backend,
        host: o.host,
        cluster: identity.cluster,
        config: o.config ?? {},
        logger: this.#log,
      })
    } catch (cause) {
      throw new RegistryError('E_DRIVER_START', `volume driver for ${o.host} failed to start`, {
        cause,
      })
    }

    this.#log.info({ driver: o.volumeDriver }, `Starting volume driver ${o.volumeDriver}`)
    try {
      await this.#driver.doSetup?.()
      await this.#driver.checkForSetupError?.()
      this.#initialized = true
    } catch (err) {
      // cinder keeps the service running; it just never heartbeats, so it reads as down.
      this.#log.error({ err: formatError(err) }, 'Failed to initialize driver.')
    }

    this.#heartbeat = new HeartbeatReporter({
      registry: this.#registry,
      service: identity,
      reportInterval,
      isWorking: () => this.#initialized,
      logger: this.#log,
      onReport: (rec) => {
        this.#record = rec
      },
    })
    this.#heartbeat.start()
    if (periodicInterval > 0) {
      this.#periodic = startLoop(() => this.#runPeriodicTasks(), periodicInterval * 1000, {
        initialDelayMs: 0,
      })
    }
  }

  /** Stops timers, the driver and this process's database connections. */
  async stop(_graceful = true): Promise<void> {
    await Promise.all([this.#heartbeat?.stop(), this.#periodic?.stop()])
    this.#heartbeat = undefined
    this.#periodic = undefined
    try {
      await this.#driver?.stop?.()
    } catch (err) {
      this.#log.warn({ err: formatError(err) }, 'volume driver failed to stop')
    }
    this.#driver = undefined
    this.#initialized = false
    await this.#registry?.close()
    this.#registry = undefined
    this.#resolveStopped?.()
  }

  /** Resolves once stopped. */
  async wait(): Promise<void> {
    await this.#stopped
  }

  /** Ready for another `start()` (oslo's reset after a SIGHUP restart). */
  reset(): void {
    this.#record = undefined
  }

  async #runPeriodicTasks(): Promise<void> {
    if (!this.#initialized) {
      this.#log.warn(
        `Update driver status failed: (config name ${this.options.backend}) is uninitialized.`,
      )
      return
    }
    try {
      await this.#driver?.periodicTasks?.()
    } catch (err) {
      this.#log.error({ err: formatError(err) }, 'Error during periodic tasks')
    }
  }
}
