import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

/** Where process information is read; tests never need another, but keep it a parameter. */
export const PROC_DIR = '/proc'

/** What a live pid turned out to be. */
export type ProcessState = 'running' | 'stale' | 'foreign'

/** The verdict on one pid, see {@link checkProcess}. */
export interface ProcessCheck {
  state: ProcessState
  /** False when the process exists but belongs to a user we may not signal (EPERM). */
  permitted: boolean
  /** Its argv from `/proc/<pid>/cmdline`, when readable. */
  cmdline: string[] | undefined
}

/** `kill(pid, 0)`: does the process exist, and may we signal it? */
export function probePid(pid: number): 'alive' | 'gone' | 'eperm' {
  try {
    process.kill(pid, 0)
    return 'alive'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EPERM') return 'eperm'
    if (code === 'ESRCH') return 'gone'
    throw err
  }
}

/**
 * The argv of a process from `/proc/<pid>/cmdline`: an array (empty for
 * zombies and kernel threads), `undefined` when it vanished, `null` when it
 * cannot be known (no /proc mounted, or hidepid).
 */
export function readCmdline(pid: number, procDir = PROC_DIR): string[] | null | undefined {
  let raw: Buffer
  try {
    raw = readFileSync(`${procDir}/${pid}/cmdline`)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ESRCH') {
      try {
        readFileSync(`${procDir}/self/stat`)
        return undefined
      } catch {
        return null
      }
    }
    return null
  }
  const text = raw.toString('utf8')
  if (text === '') return []
  return text.replace(/\0$/, '').split('\0')
}

// PF_EXITING in /proc/<pid>/stat's flags: the process is tearing down.
const PF_EXITING = 0x4

/**
 * A process with an empty cmdline: dead already (a zombie, or exiting — its
 * memory, and with it the cmdline, goes before it becomes a zombie) or a
 * kernel thread. True for the first.
 */
function isDying(pid: number, procDir: string): boolean {
  try {
    const stat = readFileSync(`${procDir}/${pid}/stat`, 'utf8')
    // "pid (comm) S ppid pgrp session tty tpgid flags …": comm may hold spaces
    // and parentheses, so count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[0] === 'Z' || fields[0] === 'X' || (Number(fields[6]) & PF_EXITING) !== 0
  } catch {
    return true
  }
}

/**
 * Our rule for "this process is that server": some argv element — split on
 * whitespace too, for processes that rewrote their title into one string —
 * has a basename containing one of `names` (`swift-object-server` matches
 * `/usr/bin/swift-object-server`, `python3 /usr/bin/swift-object-server …`,
 * `node …/bin/swift-object-server …`). Swift itself checks that the whole
 * cmdline contains the name; matching basenames is a little stricter (an
 * editor open on `/etc/swift-object-server.notes/x` is not the server).
 */
export function cmdlineNames(argv: readonly string[], names: readonly string[]): boolean {
  for (const arg of argv) {
    for (const word of arg.split(/\s+/)) {
      if (word === '') continue
      const base = basename(word)
      if (names.some((n) => n !== '' && base.includes(n))) return true
    }
  }
  return false
}

/**
 * Is `pid` alive and one of `names`? `stale` when it is gone, a zombie or exiting;
 * `foreign` when alive but its cmdline names none of `names`; `running`
 * otherwise — also when the cmdline cannot be read at all (no /proc), which
 * is what swift does too.
 */
export function checkProcess(
  pid: number,
  names: readonly string[],
  procDir = PROC_DIR,
): ProcessCheck {
  const probe = probePid(pid)
  if (probe === 'gone') return { state: 'stale', permitted: true, cmdline: undefined }
  const permitted = probe === 'alive'
  const cmdline = readCmdline(pid, procDir)
  if (cmdline === undefined) return { state: 'stale', permitted, cmdline }
  if (cmdline === null) return { state: 'running', permitted, cmdline: undefined }
  if (cmdline.length === 0) {
    // A dying process has exited already; a kernel thread is nobody's server.
    return { state: isDying(pid, procDir) ? 'stale' : 'foreign', permitted, cmdline }
  }
  return { state: cmdlineNames(cmdline, names) ? 'running' : 'foreign', permitted, cmdline }
}
