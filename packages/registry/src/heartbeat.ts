import { formatError } from '@forklift/errors'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'
import type { Registry, ServiceIdentity, ServiceRecord } from './registry.js'

/**
 * What a heartbeat runs on: a service's timers, which stop with the service
 * (`@forklift/supervisor`'s Service has this shape; so may anything else).
 */
export interface TimerHost {
  addTimer(
    intervalMs: number,
    fn: () => unknown,
    options?: { initialDelayMs?: number; name?: string },
  ): () => void
}

export interface HeartbeatReporterOptions {
  registry: Registry
  /** The record to heartbeat; recreated from this identity if an operator removed it. */
  service: ServiceIdentity
  /** Seconds between heartbeats (cinder's report_interval; fractions allowed). */
  reportInterval: number
  /**
   * cinder's manager.is_working(): while false no heartbeat is sent (logged
   * each interval), so the service turns down in service-list.
   */
  isWorking?: () => boolean
  logger?: Logger
  /** Called after each successful heartbeat (tests, metrics). */
  onReport?: (record: ServiceRecord) => void
}

/**
 * cinder's Service.report_state: report_count + 1 every report_interval, on a
 * timer of the service it is attached to (so it stops when the service
 * stops). A heartbeat that cannot be stored is logged every time (cinder
 * logs only the first of an outage, which hides a registry that stays
 * broken), with a line when it works again; the next interval simply tries
 * again, so the service reads as down meanwhile.
 */
export class HeartbeatReporter {
  readonly #o: HeartbeatReporterOptions
  readonly #log: Logger
  #id: number | undefined
  #disconnected = false

  constructor(options: HeartbeatReporterOptions) {
    if (!(options.reportInterval > 0) || !Number.isFinite(options.reportInterval)) {
      throw new TypeError(`reportInterval must be > 0 seconds, got ${options.reportInterval}`)
    }
    this.#o = options
    this.#log = options.logger ?? silentLogger()
  }

  /** The record id once known. */
  get serviceId(): number | undefined {
    return this.#id
  }

  /**
   * Heartbeats every report_interval on `service`'s timers, the first after
   * `initialDelay` seconds — by default one report_interval, as cinder: a
   * process that dies sooner (a driver crashing at start) never reads as up.
   * Returns the function that cancels it.
   */
  attach(service: TimerHost, initialDelay = this.#o.reportInterval): () => void {
    return service.addTimer(this.#o.reportInterval * 1000, () => this.reportOnce(), {
      initialDelayMs: initialDelay * 1000,
      name: 'report_state',
    })
  }

  /** One report_state; resolves the updated record, or undefined when nothing was written. */
  async reportOnce(): Promise<ServiceRecord | undefined> {
    const { registry, service } = this.#o
    const who = { binary: service.binary, host: service.host }
    if (this.#o.isWorking && !this.#o.isWorking()) {
      this.#log.error(
        who,
        `Manager for service ${service.binary} ${service.host} is reporting problems, not sending heartbeat. Service will appear "down".`,
      )
      return undefined
    }
    try {
      let rec = this.#id === undefined ? undefined : await registry.heartbeat(this.#id)
      if (!rec) {
        if (this.#id !== undefined) {
          this.#log.debug('The service database object disappeared, recreating it.')
        }
        this.#id = (await registry.register(service)).id
        rec = await registry.heartbeat(this.#id)
      }
      if (this.#disconnected) {
        this.#disconnected = false
        this.#log.error(who, 'Recovered model server connection!')
      }
      if (rec) this.#o.onReport?.(rec)
      return rec
    } catch (err) {
      // cinder's words for the first failure of an outage; every one is logged.
      this.#log.error(
        { ...who, err: formatError(err) },
        this.#disconnected
          ? 'Heartbeat not stored: service will appear "down"'
          : 'model server went away',
      )
      this.#disconnected = true
      // Register again next time: the database may be a replaced file in which our id is another row.
      this.#id = undefined
      return undefined
    }
  }
}
