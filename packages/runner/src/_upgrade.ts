// The parent's upgrade (issue 12): on SIGUSR1, when the installed code or the
// Node binary changed since this image loaded, the parent re-execs itself
// (process.execve: same pid, so the pid file, systemd's MAINPID and the
// reload socket stay right) on the listen socket it holds, and the new image
// retires the old workers once its own listen. See the README, "The parent
// itself".
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { MinimalLogger as Logger } from '@forklift/log'
import { reapChild, setCloseOnExec } from '@forklift/posix/exec'
import { blockSignal, unblockSignal } from '@forklift/posix/signals'

const FD = 'FORKLIFT_UPGRADE_FD'
const WORKERS = 'FORKLIFT_UPGRADE_WORKERS'
const PID = 'FORKLIFT_UPGRADE_PID'
const RESPAWNS = 'FORKLIFT_UPGRADE_RESPAWNS'
const VARS = [FD, WORKERS, PID, RESPAWNS] as const

/** The files whose change means "new code": Node, the bin, this chunk, the worker module. */
function imageFiles(workerModule: URL): string[] {
  const files = [process.execPath, fileURLToPath(import.meta.url), fileURLToPath(workerModule)]
  if (process.argv[1]) files.push(process.argv[1])
  return files
}

function stamp(files: string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f)
        return `${f}:${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`
      } catch {
        return `${f}:missing`
      }
    })
    .join('\n')
}

/** Remembers what this image was loaded from; `changed()` says whether that was replaced since. */
export function imageWatch(workerModule: URL): { changed(): boolean } {
  const files = imageFiles(workerModule)
  const loaded = stamp(files)
  return { changed: () => stamp(files) !== loaded }
}

/**
 * Runs the installed code's own `--test-config` on the installed Node, with
 * this server's arguments: the new image must accept the config before we
 * exec into it. Resolves undefined when it passed, else the reason (its last
 * line of output).
 */
export function checkNewImage(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const childEnv = { ...env }
  for (const v of VARS) delete childEnv[v]
  const args = [...process.execArgv, ...process.argv.slice(1), '--test-config']
  return new Promise((resolve) => {
    let out = ''
    const child = spawn(process.execPath, args, {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    })
    const take = (chunk: Buffer) => {
      out = (out + chunk.toString('utf8')).slice(-4096)
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('error', (err) => resolve(`the new code's config check did not run: ${err.message}`))
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(undefined)
      // An uncaught error ends with its stack and Node's version: name the error.
      const last = out
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && l !== '^' && !l.startsWith('at ') && !/^Node\.js v/.test(l))
        .pop()
      resolve(
        `the new code's config check failed (${signal ?? `exit ${code}`})${last ? `: ${last}` : ''}`,
      )
    })
  })
}

/**
 * Replaces this process's image with the installed one (same pid), keeping
 * the listen socket `fd` open across the exec and naming the old workers
 * for the new image to retire, and the respawns so far (the status counts on
 * across the upgrade: same pid, same server). Returns only when the exec
 * failed (it throws then, with everything as it was).
 */
export function reexec(
  fd: number,
  oldWorkers: number[],
  env: NodeJS.ProcessEnv,
  respawns = 0,
): never {
  const execve = (process as { execve?: (file: string, args: string[], env: object) => never })
    .execve
  if (typeof execve !== 'function') throw new Error(`Node ${process.version} has no process.execve`)
  const nextEnv: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) nextEnv[k] = v
  nextEnv[FD] = String(fd)
  nextEnv[WORKERS] = oldWorkers.join(',')
  nextEnv[PID] = String(process.pid)
  nextEnv[RESPAWNS] = String(respawns)
  setCloseOnExec(fd, false)
  // Handled signals reset to their default at exec: SIGUSR1 would kill the
  // new image before it handles it. Blocked, it waits (the mask survives exec).
  blockSignal('SIGUSR1')
  try {
    execve.call(
      process,
      process.execPath,
      [process.execPath, ...process.execArgv, ...process.argv.slice(1)],
      nextEnv,
    )
  } catch (err) {
    unblockSignal('SIGUSR1')
    setCloseOnExec(fd, true)
    throw err
  }
  throw new Error('process.execve returned')
}

/** What the previous image handed over: the listen socket, the old workers and its respawn count. */
export interface Upgrade {
  fd: number
  oldWorkers: number[]
  respawns: number
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/** Whether `fd` is a TCP socket in LISTEN state (its inode in /proc/net/tcp{,6} with state 0A). */
function isListeningSocket(fd: number): boolean {
  let inode: string
  try {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))
    if (!m) return false
    inode = m[1]!
  } catch {
    return false
  }
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols[3] === '0A' && cols[9] === inode) return true
    }
  }
  return false
}

/**
 * The hand-over the previous image of this very process left in `env`, or
 * undefined. Trusted only when it names this pid, a listening socket open
 * here and children of ours; the variables are removed from `env` either
 * way, so no worker (or later exec) sees them.
 */
export function takeUpgrade(env: NodeJS.ProcessEnv, logger: Logger): Upgrade | undefined {
  const fdText = env[FD]
  const pidText = env[PID]
  const workersText = env[WORKERS] ?? ''
  const respawnsText = env[RESPAWNS] ?? ''
  for (const v of VARS) {
    delete env[v]
    delete process.env[v]
  }
  if (fdText === undefined && pidText === undefined) return undefined
  const fd = Number(fdText)
  if (
    pidText !== String(process.pid) ||
    !Number.isInteger(fd) ||
    fd < 3 ||
    !isListeningSocket(fd)
  ) {
    logger.warn(`ignoring ${FD}/${PID}: not a hand-over from this process`)
    return undefined
  }
  const ours = new Set(
    readdirSync('/proc').filter((p) => /^\d+$/.test(p) && parentOf(Number(p)) === process.pid),
  )
  const oldWorkers = workersText
    .split(',')
    .filter((p) => /^\d+$/.test(p) && ours.has(p))
    .map(Number)
  const respawns = /^\d{1,9}$/.test(respawnsText) ? Number(respawnsText) : 0
  setCloseOnExec(fd, true)
  logger.info({ fd, oldWorkers }, 'parent upgraded in place: serving the socket it handed over')
  return { fd, oldWorkers, respawns }
}

/**
 * Retires the previous image's workers once ours listen: SIGHUP (they drain
 * and exit 0), reaped as they end (they are our children, unknown to this
 * image's libuv, so their pids cannot be reused meanwhile), SIGKILL after
 * `timeoutMs`. Resolves when every one is reaped.
 */
export function retireWorkers(pids: number[], timeoutMs: number, logger: Logger): Promise<void> {
  const left = new Set(pids)
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig)
    } catch {}
  }
  for (const pid of left) signal(pid, 'SIGHUP')
  const started = Date.now()
  let killed = false
  return new Promise((resolve) => {
    const tick = () => {
      for (const pid of left) {
        let ended: ReturnType<typeof reapChild>
        try {
          ended = reapChild(pid)
        } catch {
          ended = { code: null, signal: null } // ECHILD: gone already
        }
        if (ended) {
          left.delete(pid)
          logger.info({ worker: pid, ...ended }, `old worker ${pid} exited`)
        }
      }
      if (left.size === 0) return resolve()
      if (!killed && Date.now() - started >= timeoutMs) {
        killed = true
        for (const pid of left) {
          logger.warn(
            { worker: pid },
            `Killing long-running stale worker ${pid} after ${Math.round(timeoutMs / 1000)}s`,
          )
          signal(pid, 'SIGKILL')
        }
      }
      setTimeout(tick, 100)
    }
    tick()
  })
}
