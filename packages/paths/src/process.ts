import { readFileSync, readlinkSync } from 'node:fs'
import { matchServerArgv, type ServerCommand } from './server-argv.js'

/** Where process information is read; tests never need another, but keep it a parameter. */
export const PROC_DIR = '/proc'

/** What a live pid turned out to be. */
export type ProcessState = 'running' | 'stale' | 'dying' | 'foreign'

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

function readCwd(pid: number, procDir: string): string | undefined {
  try {
    return readlinkSync(`${procDir}/${pid}/cwd`)
  } catch {
    return undefined
  }
}

/**
 * Is `pid` alive and that server (see {@link matchServerArgv})? `stale` when
 * it is gone; `dying` when it is a zombie or already exiting (its /proc entry
 * is still there, its argv is not); `foreign` when alive but not started as
 * the server; `running` otherwise — also when the cmdline cannot be read at
 * all (no /proc), which is what swift does too.
 */
export function checkProcess(pid: number, server: ServerCommand, procDir = PROC_DIR): ProcessCheck {
  const probe = probePid(pid)
  if (probe === 'gone') return { state: 'stale', permitted: true, cmdline: undefined }
  const permitted = probe === 'alive'
  const cmdline = readCmdline(pid, procDir)
  if (cmdline === undefined) return { state: 'stale', permitted, cmdline }
  if (cmdline === null) return { state: 'running', permitted, cmdline: undefined }
  if (cmdline.length === 0) {
    // A dying process has exited already; a kernel thread is nobody's server.
    return { state: isDying(pid, procDir) ? 'dying' : 'foreign', permitted, cmdline }
  }
  return {
    state: matchServerArgv(cmdline, server, () => readCwd(pid, procDir)) ? 'running' : 'foreign',
    permitted,
    cmdline,
  }
}
