// What `status --json` says about a running server beyond its pid, read
// cheaply and without the server's help where the kernel knows it (/proc:
// start time, children, RSS), and from the server's status file where only
// the server knows (respawns, the last reload). Nothing here signals or
// writes anything.
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
} from 'node:fs'
import { isAbsolute, join, relative } from 'node:path'

// USER_HZ: /proc's clock ticks are 100 a second on every Linux ABI (the
// kernel's own HZ is hidden behind it), which is what sysconf(_SC_CLK_TCK) says.
const TICKS_PER_SECOND = 100
const MAX_STATUS_FILE_BYTES = 64 * 1024

/** How the server's last reload ended, as its status file says. */
export interface LastReload {
  at: string
  result: 'ok' | 'refused' | 'failed'
  reason: string | null
}

/** One worker's facts. */
export interface WorkerFacts {
  pid: number
  rss_bytes: number | null
}

/** The live facts of one instance (all null / empty when it is not running). */
export interface LiveStatus {
  started_at: string | null
  uptime_seconds: number | null
  rss_bytes: number | null
  /** Live children, from /proc (the server's own count is in `status`). */
  worker_count: number | null
  worker_pids: number[]
  workers: WorkerFacts[]
  respawn_count: number | null
  last_reload: LastReload | null
  status: string | null
}

/** The keys of a stopped instance: the same as a running one's, with nothing known. */
export const NO_LIVE_STATUS: LiveStatus = Object.freeze({
  started_at: null,
  uptime_seconds: null,
  rss_bytes: null,
  worker_count: null,
  worker_pids: [],
  workers: [],
  respawn_count: null,
  last_reload: null,
  status: null,
}) as LiveStatus

/** The run dir's directory of status files: a dot name no server's pid file search matches. */
export const STATUS_DIR = '.forklift-status'

/**
 * The status file a server started for `pidFile` keeps (FORKLIFT_STATUS_FILE):
 * `<run dir>/.forklift-status/<pid file's path in it>.json`, so that neither
 * our pid file search nor Python swift-init's (`<server>*` in the run dir)
 * ever takes it for a pid file. Undefined for a pid file outside the run dir.
 */
export function statusFileFor(runDir: string, pidFile: string): string | undefined {
  const rel = relative(runDir, pidFile)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined
  return join(runDir, STATUS_DIR, `${rel.replace(/\.pid$/, '')}.json`)
}

// Fields after the command name in /proc/<pid>/stat (which may hold spaces
// and parentheses, so split after the last ')'): [0] is field 3 (state).
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

/** Live children of `pid` (ppid = pid), by a scan of /proc: workers are forked by the parent itself. */
function childrenOf(pid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const f = statFields(Number(entry))
    // field 4 is ppid; a zombie (Z) is no worker.
    if (f && Number(f[1]) === pid && f[0] !== 'Z') out.push(Number(entry))
  }
  return out.sort((a, b) => a - b)
}

// The status file, only when it speaks for this very pid (a file left by a
// previous server on a recycled pid is someone else's story): read without
// following a symlink or blocking on a FIFO, bounded, every field checked.
function readStatusFile(file: string, pid: number): Record<string, unknown> | undefined {
  let fd: number | undefined
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    const st = fstatSync(fd)
    if (!st.isFile() || st.size > MAX_STATUS_FILE_BYTES) return undefined
    const buf = Buffer.alloc(st.size)
    const n = readSync(fd, buf, 0, st.size, 0)
    const body = JSON.parse(buf.subarray(0, n).toString('utf8')) as Record<string, unknown>
    return body && typeof body === 'object' && body.pid === pid ? body : undefined
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

function lastReloadOf(v: unknown): LastReload | null {
  if (!v || typeof v !== 'object') return null
  const r = v as Record<string, unknown>
  if (typeof r.at !== 'string' || !['ok', 'refused', 'failed'].includes(r.result as string)) {
    return null
  }
  return {
    at: r.at,
    result: r.result as LastReload['result'],
    reason: typeof r.reason === 'string' ? r.reason : null,
  }
}

/** The live facts of running `pid`, with what its status file (if any) adds. */
export function liveStatus(
  pid: number,
  statusFile: string | undefined,
  now = Date.now(),
): LiveStatus {
  const f = statFields(pid)
  let startedAt: string | null = null
  let uptime: number | null = null
  if (f) {
    try {
      const sinceBoot = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
      // field 22 is starttime, in ticks after boot.
      const up = sinceBoot - Number(f[19]) / TICKS_PER_SECOND
      if (Number.isFinite(up) && up >= 0) {
        uptime = Math.round(up * 100) / 100
        startedAt = new Date(now - up * 1000).toISOString()
      }
    } catch {}
  }
  const workerPids = childrenOf(pid)
  const file = statusFile === undefined ? undefined : readStatusFile(statusFile, pid)
  const respawns = file?.respawn_count
  return {
    started_at: startedAt,
    uptime_seconds: uptime,
    rss_bytes: rssBytes(pid),
    worker_count: workerPids.length,
    worker_pids: workerPids,
    workers: workerPids.map((w) => ({ pid: w, rss_bytes: rssBytes(w) })),
    respawn_count:
      Number.isSafeInteger(respawns) && (respawns as number) >= 0 ? (respawns as number) : null,
    last_reload: lastReloadOf(file?.last_reload),
    status: typeof file?.status === 'string' ? file.status : null,
  }
}
