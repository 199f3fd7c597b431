import { formatError } from '@forklift/errors'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'
import type { Service } from '@forklift/supervisor/service'
import type { Registry, ServiceIdentity, ServiceRecord } from './registry.js'

export interface HeartbeatReporterOptions {
  registry: Registry
  /** The record to heartbeat; recreated from this identity if an operator deleted it. */
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
 * stops). A database error is logged (once per outage, plus a line when it
 * recovers) and the next interval simply tries again.
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
   * `initialDelay` seconds (default 0: at once, so a fresh service shows up).
   * Returns the function that cancels it.
   */
  attach(service: Pick<Service, 'addTimer'>, initialDelay = 0): () => void {
    return service.addTimer(this.#o.reportInterval * 1000, () => this.reportOnce(), {
      initialDelayMs: initialDelay * 1000,
      name: 'report_state',
    })
  }

  /** One report_state; resolves the updated record, or undefined when nothing was written. */
  async reportOnce(): Promise<ServiceRecord | undefined> {
    const { registry, service } = this.#o
    if (this.#o.isWorking && !this.#o.isWorking()) {
      this.#log.error(
        { binary: service.binary, host: service.host },
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
        this.#log.error('Recovered model server connection!')
      }
      if (rec) this.#o.onReport?.(rec)
      return rec
    } catch (err) {
      if (!this.#disconnected) {
        this.#disconnected = true
        this.#log.error({ err: formatError(err) }, 'model server went away')
      } else {
        this.#log.debug({ err: formatError(err) }, 'heartbeat failed again')
      }
      return undefined
    }
  }
}
