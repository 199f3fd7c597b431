// A process's resident set size, from /proc/<pid>/status (VmRSS, in kB:
// independent of the page size, unlike the pages of /proc/<pid>/stat).
import { readFileSync } from 'node:fs'

/** The resident set size of `pid` in bytes, or undefined when it is gone or /proc is missing. */
export function procRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}
