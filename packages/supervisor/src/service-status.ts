/**
 * What a supervising parent (a server's worker pool, a launcher) tells its
 * host about itself, computed once: the STATUS= line systemd shows, the
 * watchdog, timeout extensions for slow starts and drains, and (when
 * FORKLIFT_STATUS_FILE names one) a small JSON file with the same facts,
 * which `swift-init status --json` reads for what /proc cannot tell:
 * respawns and the last reload.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { formatError } from '@forklift/errors'
import type { MinimalLogger as Logger } from '@forklift/log'
import { notifyStatus } from '@forklift/notify'
import { extendTimeoutWhile, type NotifyTimer, startWatchdog } from '@forklift/notify/keepalive'

/** How the last reload ended. */
export type ReloadResult = 'ok' | 'refused' | 'failed'

/** The status file's content (snake_case, as every forklift JSON). */
export interface ServiceStatusFile {
  pid: number
  server: string
  worker_count: number
  respawn_count: number
  last_reload: { at: string; result: ReloadResult; reason: string | null } | null
  status: string
  updated_at: string
}

/** The env var naming the status file (set by swift-init next to the pid file, or by a unit). */
export const STATUS_FILE_ENV = 'FORKLIFT_STATUS_FILE'

/** One serving parent's status, told to systemd and to the status file on each change. */
export class ServiceStatus {
  readonly #logger: Logger
  readonly #env: NodeJS.ProcessEnv
  readonly #server: string
  readonly #file: string | undefined
  #workers = 0
  #respawns = 0
  #lastReload: ServiceStatusFile['last_reload'] = null
  #watchdog: NotifyTimer | undefined
  #fileFailed = false
  #closed = false

  readonly #ownWatchdog: boolean

  /**
   * `watchdog: false` when something else pings already (the launchers do);
   * `respawns`: the count so far (a parent that re-exec'd itself counts on).
   */
  constructor(
    server: string,
    logger: Logger,
    env: NodeJS.ProcessEnv = process.env,
    options: { watchdog?: boolean; respawns?: number } = {},
  ) {
    this.#server = server
    this.#logger = logger
    this.#env = env
    this.#ownWatchdog = options.watchdog ?? true
    this.#respawns = options.respawns ?? 0
    const file = env[STATUS_FILE_ENV]
    this.#file = file?.startsWith('/') ? file : undefined
    if (file && !this.#file)
      logger.warn({ file }, `${STATUS_FILE_ENV} must be an absolute path; ignored`)
  }

  /** Awaits a slow start or drain, asking systemd for more time while it lasts. */
  extendWhile<T>(work: Promise<T>): Promise<T> {
    return extendTimeoutWhile(work, { env: this.#env, logger: this.#logger })
  }

  /** Serving with `workers` workers (0: in process): starts the watchdog, tells the status. */
  serving(workers: number): void {
    this.#workers = workers
    if (this.#ownWatchdog)
      this.#watchdog ??= startWatchdog({ env: this.#env, logger: this.#logger })
    this.#publish()
  }

  /** The number of live workers changed. */
  workers(n: number): void {
    if (n === this.#workers) return
    this.#workers = n
    this.#publish()
  }

  /** Workers that died unasked so far. */
  get respawns(): number {
    return this.#respawns
  }

  /** A worker died unasked and will be replaced. */
  respawned(): void {
    this.#respawns++
    this.#publish()
  }

  /** A reload ended so. */
  reloaded(result: ReloadResult, reason?: string): void {
    this.#lastReload = { at: new Date().toISOString(), result, reason: reason ?? null }
    this.#publish()
  }

  /** Shutting down: no more watchdog pings (systemd stops watching at STOPPING=1). */
  stopping(): void {
    this.#watchdog?.stop()
    this.#watchdog = undefined
    notifyStatus('stopping', { env: this.#env, logger: this.#logger })
  }

  /**
   * Done: removes the status file (only if it is still the one this process
   * wrote), so no file outlives its pid to speak for a recycled one.
   */
  close(): void {
    this.#closed = true
    this.#watchdog?.stop()
    this.#watchdog = undefined
    const file = this.#file
    if (!file) return
    try {
      const body = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }
      if (body.pid === process.pid) unlinkSync(file)
    } catch {}
  }

  /** The STATUS= line. */
  text(): string {
    const r = this.#lastReload
    const reload = r ? `last reload ${r.at} ${r.result}` : 'no reload yet'
    const workers = this.#workers === 0 ? 'serving in process' : `${this.#workers} workers`
    return `${workers}; ${this.#respawns} respawned; ${reload}`
  }

  #publish(): void {
    if (this.#closed) return
    const text = this.text()
    // The file first: whoever hears the STATUS line finds the file agreeing.
    if (this.#file) this.#writeFile(this.#file, text)
    notifyStatus(text, { env: this.#env, logger: this.#logger })
  }

  // Written whole to a new file and renamed over the old one: a reader never
  // sees half a file, and nothing is opened through a link someone planted
  // (O_EXCL refuses an existing name, symlink included; rename replaces the
  // entry, never what it points to).
  #writeFile(file: string, text: string): void {
    const body: ServiceStatusFile = {
      pid: process.pid,
      server: this.#server,
      worker_count: this.#workers,
      respawn_count: this.#respawns,
      last_reload: this.#lastReload,
      status: text,
      updated_at: new Date().toISOString(),
    }
    const tmp = `${file}.${process.pid}.tmp`
    try {
      try {
        unlinkSync(tmp)
      } catch {}
      writeFileSync(tmp, `${JSON.stringify(body)}\n`, { flag: 'wx', mode: 0o644 })
      renameSync(tmp, file)
      this.#fileFailed = false
    } catch (err) {
      // Once per failure streak: a status file is not worth a log flood.
      if (!this.#fileFailed) {
        this.#logger.warn(
          { err, file },
          `cannot write the status file ${file}: ${formatError(err)}`,
        )
      }
      this.#fileFailed = true
    }
  }
}
