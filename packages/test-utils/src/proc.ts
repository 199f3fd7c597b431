import type { ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { onTestFinished } from 'vitest'
import { waitFor } from './wait.js'

/**
 * The fields of /proc/<pid>/stat from the state on (index 0 state, 1 ppid,
 * 2 pgrp, …), or undefined when the process is gone. The command name before
 * them may hold spaces and parentheses, hence the split after the last ')'.
 */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  const state = procStat(pid)?.[0]
  return state !== undefined && state !== 'Z'
}

/** Pids whose parent is `pid`, read from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry) && Number(procStat(Number(entry))?.[1]) === pid) out.push(Number(entry))
  }
  return out
}

/** Polls until `pid` is gone (or a zombie); rejects after `timeoutMs`. */
export async function waitGone(pid: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => !alive(pid), `pid ${pid} to exit`, timeoutMs, 25)
}

/**
 * SIGKILLs, when the current test finishes, a child that has not exited yet,
 * or a bare pid (whatever it is then). Returns its argument.
 */
export function killOnFinish<T extends ChildProcess | number | undefined>(target: T): T {
  onTestFinished(() => {
    if (typeof target === 'number') {
      try {
        process.kill(target, 'SIGKILL')
      } catch {}
    } else if (target && target.exitCode === null && target.signalCode === null) {
      target.kill('SIGKILL')
    }
  })
  return target
}

/**
 * SIGKILLs each pid and its process group, but only where /proc/<pid>/cmdline
 * still contains `marker` (such as the test's temp dir): a pid seen in an
 * earlier log may belong to someone else by now.
 */
export function killOwned(pids: Iterable<number>, marker: string): void {
  for (const pid of pids) {
    let cmdline = ''
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    } catch {}
    if (!cmdline.includes(marker)) continue
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL')
      } catch {}
    }
  }
}
