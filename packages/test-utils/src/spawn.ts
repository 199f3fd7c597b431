import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { onTestFinished } from 'vitest'

/** How a process ended. */
export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** What {@link collectOutput} gathers from a child. */
export interface Output {
  /** Everything it wrote to stdout so far. */
  stdout(): string
  /** Everything it wrote to stderr so far. */
  stderr(): string
  /** Resolves when the process exited (its pipes may still hold output). */
  exited: Promise<Exit>
  /** Resolves when it exited and its pipes are drained; rejects if it could not be spawned. */
  closed: Promise<Exit>
}

/** A process started by {@link spawnCollect}. */
export interface Spawned extends Output {
  child: ChildProcess
}

/** Collects a just-spawned child's stdout and stderr as text, and when it exits and closes. */
export function collectOutput(child: ChildProcess): Output {
  let out = ''
  let err = ''
  child.stdout?.on('data', (d) => {
    out += d
  })
  child.stderr?.on('data', (d) => {
    err += d
  })
  const exited = new Promise<Exit>((r) => child.once('exit', (code, signal) => r({ code, signal })))
  const closed = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  // A test that only awaits `exited` must not see an unhandled spawn error.
  closed.catch(() => {})
  return { stdout: () => out, stderr: () => err, exited, closed }
}

/**
 * Spawns `command` with stdout and stderr piped (stdin ignored unless
 * `options.stdio` says otherwise) and collects both as text. When the test
 * finishes it is SIGKILLed if still running, and with `detached` its whole
 * process group too, so nothing it started outlives a failed test.
 */
export function spawnCollect(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Spawned {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
  onTestFinished(() => {
    if (options.detached && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // the group is gone already
      }
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, ...collectOutput(child) }
}
