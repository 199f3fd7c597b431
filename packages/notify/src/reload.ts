/**
 * The outcome of a seamless reload, told to whoever asked for it: Swift's
 * per-pid notification socket (`swift-reload`). The one asking binds the
 * abstract unix datagram socket named after the server's pid, sends SIGUSR1,
 * and reads sd_notify-style lines: `RELOADING=1` when the server began, then
 * `READY=1` when it serves again. Swift says nothing more; we add
 * `X_FORKLIFT_RELOAD=done|refused` and a `STATUS=` saying why, so a refused
 * reload (bad config, an app that does not load, old workers kept) is told
 * apart from a done one. Swift's own swift-reload, which reads `READY=1`
 * only, works against our servers, and ours against Swift's.
 *
 * Abstract names have no permissions: anyone may send to the socket, or bind
 * the name first. So the receiver takes a datagram only when the kernel's
 * credentials (SCM_CREDENTIALS, not forgeable without CAP_SYS_ADMIN) say it
 * came from the server's pid, as the uid that process runs as; a squatter
 * that bound the name first makes binding fail (EADDRINUSE), and the reload
 * is then not asked for at all.
 */
import { UnixDatagramSocket } from '@forklift/posix/unix-dgram'

/** The abstract socket name for `pid`, Swift's: `@swift-notifications` NUL pid. */
export function reloadNotifySocket(pid: number = process.pid): string {
  return `@swift-notifications\0${pid}`
}

let sender: UnixDatagramSocket | undefined

/**
 * Sends `state` to this process's own reload socket, where a swift-reload
 * may be listening. Returns false when nobody listens (the usual case) or
 * the send failed; never throws, never waits.
 */
export function notifyReloadSocket(state: string, pid: number = process.pid): boolean {
  try {
    if (!sender || sender.closed) sender = new UnixDatagramSocket()
    return sender.send(state, reloadNotifySocket(pid))
  } catch {
    // ECONNREFUSED: nobody bound it. Anything else: a reload must not fail for it.
    return false
  }
}

/** What a reload ended in, as the server says it. */
export type ReloadOutcome = { ok: true; status?: string } | { ok: false; reason: string }

/** The datagram that ends a reload: `READY=1` with the outcome. */
export function reloadOutcomeState(outcome: ReloadOutcome): string {
  const status = outcome.ok ? (outcome.status ?? 'reloaded') : `reload refused: ${outcome.reason}`
  return [
    'READY=1',
    `X_FORKLIFT_RELOAD=${outcome.ok ? 'done' : 'refused'}`,
    `STATUS=${status.replace(/[\r\n]+/g, ' ')}`,
  ].join('\n')
}

/** How a watched reload ended. */
export type ReloadResult =
  | { state: 'done'; status: string | undefined }
  | { state: 'refused'; reason: string }
  | { state: 'timeout' }
  | { state: 'exited' }
  /** Not a word within `quietMs`: a server that does not report (Swift before 2.35). */
  | { state: 'silent' }

/** Options of {@link ReloadWatch.wait}. */
export interface ReloadWaitOptions {
  /** Give up after this long (default 300 s, as swift-reload). */
  timeoutMs?: number
  /** Give up sooner, as `silent`, when nothing at all arrived this long. */
  quietMs?: number
  /** Polled while waiting: false once the server is gone (then `exited`). */
  alive?: () => boolean
  /** Told each accepted datagram's lines (swift-reload -v). */
  onLine?: (line: string) => void
}

function parse(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1))
  }
  return fields
}

/**
 * The receiving end for one server pid: bind it before signalling, then
 * {@link wait}. Datagrams from any other pid, or another uid, are dropped.
 */
export class ReloadWatch {
  readonly pid: number
  readonly uids: readonly number[] | undefined
  readonly #socket: UnixDatagramSocket
  readonly #queue: Map<string, string>[] = []
  #wake: (() => void) | undefined

  /**
   * Binds `pid`'s socket; `uids`, when given, are the uids the server runs
   * as (root's datagrams are taken too). Throws PosixError E_SYSCALL
   * (EADDRINUSE when another process bound the name first).
   */
  constructor(pid: number, uids?: readonly number[]) {
    this.pid = pid
    this.uids = uids
    this.#socket = new UnixDatagramSocket()
    try {
      this.#socket.bind(reloadNotifySocket(pid))
    } catch (err) {
      this.#socket.close()
      throw err
    }
    this.#socket.on('message', (m) => {
      if (m.pid !== pid) return
      if (uids && m.uid !== 0 && (m.uid === undefined || !uids.includes(m.uid))) return
      this.#queue.push(parse(m.data.toString('utf8')))
      this.#wake?.()
    })
  }

  /**
   * Resolves once the server said `RELOADING=1` and then `READY=1` (done,
   * or refused with its reason), or on timeout, or when `alive` says it is
   * gone. A `READY=1` before any `RELOADING=1` ends an earlier reload and is
   * skipped.
   */
  async wait(options: ReloadWaitOptions = {}): Promise<ReloadResult> {
    const start = Date.now()
    const deadline = start + (options.timeoutMs ?? 300_000)
    const quietUntil = options.quietMs === undefined ? Infinity : start + options.quietMs
    let reloading = false
    let heard = false
    for (;;) {
      for (let fields = this.#queue.shift(); fields; fields = this.#queue.shift()) {
        heard = true
        if (options.onLine) for (const [k, v] of fields) options.onLine(`${k}=${v}`)
        if (fields.get('RELOADING') === '1') reloading = true
        if (fields.get('READY') !== '1' || !reloading) continue
        const status = fields.get('STATUS')
        if (fields.get('X_FORKLIFT_RELOAD') === 'refused') {
          return { state: 'refused', reason: status?.replace(/^reload refused: /, '') ?? '' }
        }
        return { state: 'done', status }
      }
      const now = Date.now()
      if (!heard && now >= quietUntil) return { state: 'silent' }
      const left = (heard ? deadline : Math.min(deadline, quietUntil)) - now
      if (left <= 0) return { state: 'timeout' }
      if (options.alive && !options.alive()) {
        // A last look: it may have said its piece just before exiting.
        if (this.#queue.length) continue
        return { state: 'exited' }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, options.alive ? 100 : left))
        this.#wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#wake = undefined
    }
  }

  /** Unbinds the name; idempotent. */
  close(): void {
    this.#socket.close()
  }

  [Symbol.dispose](): void {
    this.close()
  }
}
