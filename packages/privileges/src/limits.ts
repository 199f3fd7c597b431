import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'
import { setResourceLimit } from '@forklift/posix/rlimit'

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
  /** Why it failed (`prlimit nofile=…: EPERM (Operation not permitted)`), when not ok. */
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
 * RLIMIT_NPROC (8192), soft = hard, in that order, through prlimit(2) in
 * this process (`@forklift/posix/rlimit`: no util-linux `prlimit` spawned
 * per limit, which cost a start ~10 ms). Each limit is tried on its own; one that is not permitted
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
    let error: string
    try {
      // pid 0 is this process: no /proc lookup, and no race with a recycled pid.
      setResourceLimit(resource, limit, { pid: pid === process.pid ? 0 : pid })
      logger.debug({ pid, resource, limit }, 'resource limit set')
      return { resource, limit, ok: true }
    } catch (err) {
      error = (err as Error).message
    }
    const warning = WARNINGS[resource]
    logger.warn({ pid, resource, limit, error }, warning)
    return { resource, limit, ok: false, warning, error }
  })
}
