/**
 * Child side of "children exit soon after the parent dies", even when the
 * parent was SIGKILLed and had no chance to stop them. Two signals of death:
 * the IPC channel closing (immediate, when the child was forked with IPC: the
 * kernel closes the dead parent's end) and, for a child without one, a change
 * of parent pid (the kernel re-parents orphans to init or a subreaper),
 * polled from /proc because Node's `process.ppid` is read once at start-up
 * and never changes. A child with IPC does not poll: an idle worker must not
 * wake up 20 times a second to learn what the channel already says.
 */
import { procStatFields } from './_proc-stat.js'

/** Options of exitWhenParentDies. */
export interface ParentWatchOptions {
  /**
   * Called once when the parent is gone (e.g. stop accepting, drain); the
   * process exits when it settles or after `graceMs`, whichever comes first.
   */
  onParentDeath?: () => void | Promise<void>
  /** How long `onParentDeath` may run before the process exits anyway; default 5000 ms. */
  graceMs?: number
  /**
   * How often to compare the parent pid; default 50 ms, and only when no IPC
   * channel is watched (given explicitly, it polls beside the channel too).
   */
  pollMs?: number
  /** The parent to watch; default the parent at the time of the call. */
  parentPid?: number
  /** Exit status after a clean `onParentDeath`; default 0. Timeouts and errors exit 1. */
  exitCode?: number
  /** Watch the IPC channel too (when there is one); default true. */
  ipc?: boolean
}

/** The current parent pid, read from /proc (field 4 of /proc/self/stat), or undefined. */
export function currentParentPid(): number | undefined {
  const ppid = Number(procStatFields()?.[1])
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined
}

function parentAlive(parentPid: number): boolean {
  const now = currentParentPid()
  if (now !== undefined) return now === parentPid
  // No /proc: fall back on signal 0, which cannot tell a zombie from the living.
  try {
    process.kill(parentPid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Makes this process exit soon after its parent dies. Returns an undo function
 * that stops watching (idempotent). Timers are unref'ed: watching never keeps
 * the process alive.
 */
export function exitWhenParentDies(options: ParentWatchOptions = {}): () => void {
  const {
    onParentDeath,
    graceMs = 5000,
    parentPid = currentParentPid() ?? process.ppid,
    exitCode = 0,
    ipc = true,
  } = options
  let fired = false
  const onDisconnect = () => fire()
  const watchIpc = ipc && typeof process.send === 'function'
  if (watchIpc) {
    if (process.connected) process.once('disconnect', onDisconnect)
    else queueMicrotask(onDisconnect)
  }
  let poll: NodeJS.Timeout | undefined
  if (!watchIpc || options.pollMs !== undefined) {
    poll = setInterval(() => {
      if (!parentAlive(parentPid)) fire()
    }, options.pollMs ?? 50)
    poll.unref()
  }

  const undo = () => {
    clearInterval(poll)
    if (watchIpc) process.removeListener('disconnect', onDisconnect)
  }

  function fire(): void {
    if (fired) return
    fired = true
    undo()
    if (!onParentDeath) {
      process.exit(exitCode)
    }
    // Not unref'ed: the grace must elapse even if nothing else keeps us alive.
    const deadline = setTimeout(() => process.exit(1), graceMs)
    Promise.resolve()
      .then(onParentDeath)
      .then(
        () => process.exit(exitCode),
        () => process.exit(1),
      )
      .finally(() => clearTimeout(deadline))
  }

  return undo
}
