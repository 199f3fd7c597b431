/**
 * What a process that re-execs itself (`process.execve`) needs: a descriptor
 * that survives the exec (libuv opens every one close-on-exec), and reaping
 * children the new image's libuv never forked, so they do not stay zombies.
 */
import { native, syscallError } from './_native.js'
import { PosixError } from './errors.js'

/** How a reaped child ended: its exit code, or the signal that killed it. */
export interface ChildExit {
  code: number | null
  signal: number | null
}

function checkInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new PosixError('E_ARGUMENT', `${name} must be an integer >= ${min}, got ${value}`)
  }
}

/** Sets or clears FD_CLOEXEC on `fd` (fcntl F_SETFD). Throws PosixError E_SYSCALL (EBADF). */
export function setCloseOnExec(fd: number, on: boolean): void {
  checkInt('fd', fd, 0)
  const r = native().setCloexec(fd, on)
  if (r < 0) throw syscallError(r, 'fcntl', `descriptor ${fd}`)
}

/**
 * Reaps child `pid` if it ended (waitpid with WNOHANG): how it ended, or
 * null while it runs. Throws PosixError E_SYSCALL with errno ECHILD when
 * `pid` is not (or no longer) a child of this process.
 */
export function reapChild(pid: number): ChildExit | null {
  checkInt('pid', pid, 1)
  const r = native().reap(pid)
  if (r === null) return null
  if (typeof r === 'number') throw syscallError(r, 'waitpid', `pid ${pid}`)
  return { code: r[0] >= 0 ? r[0] : null, signal: r[1] >= 0 ? r[1] : null }
}
