import { formatError, isForkliftError } from '@forklift/errors'
import type { Logger } from '@forklift/log'
import {
  DEFAULT_AVAILABILITY_ZONE,
  DEFAULT_REPORT_INTERVAL,
  DEFAULT_SERVICE_DOWN_TIME,
  effectiveServiceDownTime,
  HeartbeatReporter,
  openRegistry,
  type Registry,
  type ServiceIdentity,
  type ServiceRecord,
} from '@forklift/registry'
import type { JsonValue } from '@forklift/supervisor/launcher'
import { Service } from '@forklift/supervisor/service'
import { checkActiveActive, loadDriverFactory, type VolumeDriver } from './driver.js'
import { VolumeError } from './errors.js'

/** cinder's default periodic_interval and periodic_fuzzy_delay, in seconds. */
export const DEFAULT_PERIODIC_INTERVAL = 60
export const DEFAULT_PERIODIC_FUZZY_DELAY = 60

/** The binary (and topic) volume services register as, like cinder's `cinder-volume`. */
export const VOLUME_BINARY = 'forklift-volume'

/** Plain JSON, so a launcher can hand it to a worker process. */
export interface VolumeServiceOptions {
  /** Registry connection URL (`sqlite:///…`, `postgresql://…`, `mysql://…`). */
  connection: string
  backend: string
  /** `host@backend`. */
  host: string
  /** `cluster@backend`, or null. A cluster needs a driver that declares active-active support. */
  cluster?: string | null
  /** The backend's availability zone (default `nova`, cinder's storage_availability_zone). */
  availabilityZone?: string
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
  /**
   * The first periodic run waits a random 0 … this many seconds, so that many
   * services started together do not stampede their backends (cinder's
   * periodic_fuzzy_delay; 0 runs at once). Default 60.
   */
  periodicFuzzyDelay?: number
  serviceDownTime?: number
}

/**
 * cinder's volume Service for one backend: registers (or reuses) its record,
 * loads and initialises the driver, heartbeats every report_interval and runs
 * the driver's periodic tasks every periodic_interval. Implements the
 * launcher Service contract (`start`, `stop`, `wait`, `reset`). The database
 * is opened in `start()`, i.e. in the worker process that runs the service.
 *
 * A driver that cannot be loaded or built, or a cluster for a driver that does
 * not declare active-active support, makes `start()` reject (the launcher
 * skips the backend). A driver whose doSetup/checkForSetupError fails keeps the
 * service running but not working: no heartbeats, so it shows down.
 */
/** Options `mutate()` applies in place; a change to any other one waits for a restart. */
export const MUTABLE_VOLUME_OPTIONS = [
  'reportInterval',
  'periodicInterval',
  'periodicFuzzyDelay',
  'serviceDownTime',
] as const

export class VolumeService extends Service {
  #options: VolumeServiceOptions
  #registry: Registry | undefined
  #driver: VolumeDriver | undefined
  #initialized = false
  #cancelTimers: Array<() => void> = []
  #record: ServiceRecord | undefined

  constructor(options: VolumeServiceOptions, logger?: Logger) {
    super(logger ? { logger } : {})
    this.#options = options
  }

  /** The options it runs with (the mutable ones as last `mutate()`d). */
  get options(): VolumeServiceOptions {
    return this.#options
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
  override async start(): Promise<void> {
    const o = this.#options
    const identity = this.#identity()
    const reportInterval = o.reportInterval ?? DEFAULT_REPORT_INTERVAL
    effectiveServiceDownTime(
      reportInterval,
      o.serviceDownTime ?? DEFAULT_SERVICE_DOWN_TIME,
      this.logger,
    )
    this.logger.info(
      { topic: identity.topic, cluster: identity.cluster },
      `Starting ${identity.topic} node ${o.host}`,
    )

    const factory = await loadDriverFactory(o.volumeDriver, o.baseDir)
    checkActiveActive(factory, o.volumeDriver, identity.cluster)
    this.#registry ??= openRegistry(o.connection, { logger: this.logger })
    try {
      this.#record = await this.#registry.register(identity)
      this.#driver = await factory({
        backend: o.backend,
        host: o.host,
        cluster: o.cluster ?? null,
        config: o.config ?? {},
        logger: this.logger,
      })
    } catch (cause) {
      await this.#registry.close()
      this.#registry = undefined
      if (isForkliftError(cause)) throw cause
      // The message carries the cause: only name, message and code cross the launcher's IPC.
      throw new VolumeError(
        'E_DRIVER_START',
        `volume driver for ${o.host} failed to start: ${formatError(cause)}`,
        { cause },
      )
    }

    this.logger.info({ driver: o.volumeDriver }, `Starting volume driver ${o.volumeDriver}`)
    try {
      await this.#driver.doSetup?.()
      await this.#driver.checkForSetupError?.()
      this.#initialized = true
    } catch (err) {
      // cinder keeps the service running; it just never heartbeats, so it reads as down.
      this.logger.error({ err: formatError(err) }, 'Failed to initialize driver.')
    }

    this.#startTimers(identity)
  }

  /** Heartbeats every report_interval, periodic tasks every periodic_interval. */
  #startTimers(identity: ServiceIdentity, firstPeriodicDelayMs?: number): void {
    const o = this.#options
    const heartbeat = new HeartbeatReporter({
      registry: this.#registry!,
      service: identity,
      reportInterval: o.reportInterval ?? DEFAULT_REPORT_INTERVAL,
      isWorking: () => this.#initialized,
      logger: this.logger,
      onReport: (rec) => {
        this.#record = rec
      },
    })
    this.#cancelTimers.push(heartbeat.attach(this))
    const periodicInterval = o.periodicInterval ?? DEFAULT_PERIODIC_INTERVAL
    if (periodicInterval > 0) {
      this.#cancelTimers.push(
        this.addTimer(periodicInterval * 1000, () => this.#runPeriodicTasks(), {
          initialDelayMs:
            firstPeriodicDelayMs ??
            Math.random() * (o.periodicFuzzyDelay ?? DEFAULT_PERIODIC_FUZZY_DELAY) * 1000,
          name: 'periodic_tasks',
        }),
      )
    }
  }

  /**
   * restart_method `mutate` (SIGHUP): applies the mutable options in place —
   * report_interval, periodic_interval, periodic_fuzzy_delay,
   * service_down_time — with the same registry record, driver and process;
   * the timers restart at the new intervals. Any other option that changed
   * (the driver, its section, the host, the database) is logged and waits for
   * a restart.
   */
  mutate(options: JsonValue | undefined): void {
    const next = options as unknown as VolumeServiceOptions
    const before = this.#options
    const changed = (Object.keys({ ...before, ...next }) as (keyof VolumeServiceOptions)[]).filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(next[k]),
    )
    const mutable = new Set<string>(MUTABLE_VOLUME_OPTIONS)
    const later = changed.filter((k) => !mutable.has(k))
    if (later.length > 0) {
      this.logger.warn(
        { options: later },
        `Options changed that take effect only at a restart of ${before.host}: ${later.join(', ')}`,
      )
    }
    const applied = changed.filter((k) => mutable.has(k))
    if (applied.length === 0) return
    const merged: VolumeServiceOptions = { ...before }
    for (const k of MUTABLE_VOLUME_OPTIONS) {
      if (next[k] === undefined) delete merged[k]
      else merged[k] = next[k]
    }
    effectiveServiceDownTime(
      merged.reportInterval ?? DEFAULT_REPORT_INTERVAL,
      merged.serviceDownTime ?? DEFAULT_SERVICE_DOWN_TIME,
      this.logger,
    )
    this.#options = merged
    this.logger.info(
      Object.fromEntries(applied.map((k) => [k, merged[k]])),
      `Applied new ${applied.join(', ')} to ${before.host} in place`,
    )
    if (!this.#registry || this.stopping) return
    for (const cancel of this.#cancelTimers.splice(0)) cancel()
    // The next periodic run one new interval from now, not at once (nor fuzzed again).
    this.#startTimers(
      this.#identity(),
      (merged.periodicInterval ?? DEFAULT_PERIODIC_INTERVAL) * 1000,
    )
  }

  #identity(): ServiceIdentity {
    const o = this.#options
    const binary = o.binary ?? VOLUME_BINARY
    return {
      host: o.host,
      binary,
      topic: o.topic ?? binary,
      cluster: o.cluster ?? null,
      availabilityZone: o.availabilityZone ?? DEFAULT_AVAILABILITY_ZONE,
    }
  }

  /** Stops heartbeats and periodic tasks, the driver, then this process's database connections. */
  override async stop(graceful = false): Promise<void> {
    for (const cancel of this.#cancelTimers.splice(0)) cancel()
    try {
      await this.#driver?.stop?.()
    } catch (err) {
      this.logger.warn({ err: formatError(err) }, 'volume driver failed to stop')
    }
    this.#driver = undefined
    this.#initialized = false
    const registry = this.#registry
    this.#registry = undefined
    await registry?.close()
    await super.stop(graceful)
  }

  /** Ready for another `start()` (oslo's reset after a SIGHUP restart). */
  override reset(): void | Promise<void> {
    // A running service reset in place (restart_method mutate) keeps its record.
    if (this.stopping) this.#record = undefined
    return super.reset()
  }

  async #runPeriodicTasks(): Promise<void> {
    if (!this.#initialized) {
      this.logger.warn(
        `Update driver status failed: (config name ${this.options.backend}) is uninitialized.`,
      )
      return
    }
    try {
      await this.#driver?.periodicTasks?.()
    } catch (err) {
      this.logger.error({ err: formatError(err) }, 'Error during periodic tasks')
    }
  }
}
