import { spawnSync } from 'node:child_process'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'

/** swift-init's MAX_DESCRIPTORS. */
export const MAX_DESCRIPTORS = 32768
/** swift-init's MAX_PROCS. */
export const MAX_PROCS = 8192
/** swift-init's MAX_MEMORY: 2 GiB of data segment. */
export const MAX_MEMORY = 2 * 1024 * 1024 * 1024

/** A limit raiseResourceLimits sets (prlimit's option name). */
export type LimitResource = 'nofile' | 'data' | 'nproc'

/** The outcome for one limit. */
export interface LimitResult {
  resource: LimitResource
  /** The value set as both soft and hard limit. */
  limit: number
  ok: boolean
  /** swift-init's warning line, when not ok. */
  warning?: string
  /** Why it failed (prlimit's message), when not ok. */
  error?: string
}

/** Options of {@link raiseResourceLimits}. */
export interface ResourceLimitOptions {
  /** The process to change; default this one. */
  pid?: number
  nofile?: number
  nproc?: number
  dataBytes?: number
  logger?: Logger
}

const WARNINGS: Record<LimitResource, string> = {
  nofile: 'WARNING: Unable to modify file descriptor limit.  Running as non-root?',
  data: 'WARNING: Unable to modify memory limit.  Running as non-root?',
  nproc: 'WARNING: Unable to modify max process limit.  Running as non-root?',
}

/**
 * swift-init's setup_env: sets RLIMIT_NOFILE (32768), RLIMIT_DATA (2 GiB) and
 * RLIMIT_NPROC (8192), soft = hard, in that order, through util-linux
 * `prlimit --pid`. Each limit is tried on its own; one that is not permitted
 * (not root and above the hard limit) gives a result with swift-init's
 * warning, which is also logged, instead of an error.
 */
export function raiseResourceLimits(options: ResourceLimitOptions = {}): LimitResult[] {
  const logger = options.logger ?? silentLogger()
  const pid = options.pid ?? process.pid
  const wanted: [LimitResource, number][] = [
    ['nofile', options.nofile ?? MAX_DESCRIPTORS],
    ['data', options.dataBytes ?? MAX_MEMORY],
    ['nproc', options.nproc ?? MAX_PROCS],
  ]
  return wanted.map(([resource, limit]) => {
    const res = spawnSync('prlimit', ['--pid', String(pid), `--${resource}=${limit}:${limit}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    if (res.status === 0) {
      logger.debug({ pid, resource, limit }, 'resource limit set')
      return { resource, limit, ok: true }
    }
    const error =
      (res.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
        ? 'prlimit not found (install util-linux)'
        : res.error
          ? res.error.message
          : res.stderr.trim() || `prlimit exited with status ${res.status ?? res.signal}`
    const warning = WARNINGS[resource]
    logger.warn({ pid, resource, limit, error }, warning)
    return { resource, limit, ok: false, warning, error }
  })
}
