// /proc/<pid>/stat, split: its second field (comm) may hold spaces and
// parentheses, so the fields are counted from after the last ')'.
import { readFileSync } from 'node:fs'

/**
 * The fields of /proc/<pid>/stat from the third on (state, ppid, pgrp,
 * session, tty_nr, tpgid, …; index 0 is field 3 of proc(5)), or undefined
 * when the process or /proc is missing.
 */
export function procStatFields(pid: number | 'self' = 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}
