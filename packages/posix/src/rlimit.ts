/**
 * Resource limits (getrlimit/setrlimit through Linux's prlimit(2), so of this
 * process or another): what `ulimit` and util-linux `prlimit` do, without
 * spawning a program for each call.
 */
import { native, syscallError } from './_native.js'
import { PosixError } from './errors.js'

/** A resource, by the name `prlimit` uses (RLIMIT_NOFILE is `nofile`). */
export type Resource =
  | 'as'
  | 'core'
  | 'cpu'
  | 'data'
  | 'fsize'
  | 'locks'
  | 'memlock'
  | 'msgqueue'
  | 'nice'
  | 'nofile'
  | 'nproc'
  | 'rss'
  | 'rtprio'
  | 'rttime'
  | 'sigpending'
  | 'stack'

/** A soft and a hard limit; Infinity is RLIM_INFINITY (unlimited). */
export interface ResourceLimit {
  soft: number
  hard: number
}

/** Options of the limit functions. */
export interface ResourceLimitOptions {
  /** The process whose limits to read or set; default this one. */
  pid?: number
}

function resourceNumber(resource: Resource): number {
  const n = Object.hasOwn(native().rlimits, resource) ? native().rlimits[resource] : undefined
  if (n === undefined) throw new PosixError('E_ARGUMENT', `unknown resource limit: ${resource}`)
  return n
}

function pidOf(options: ResourceLimitOptions): number {
  const pid = options.pid ?? 0
  if (!Number.isInteger(pid) || pid < 0) {
    throw new PosixError('E_ARGUMENT', `pid must be a positive integer, got ${pid}`)
  }
  return pid
}

/** The current limits of `resource`. Throws PosixError E_SYSCALL (ESRCH, EPERM) for another pid. */
export function getResourceLimit(
  resource: Resource,
  options: ResourceLimitOptions = {},
): ResourceLimit {
  const r = native().getrlimit(pidOf(options), resourceNumber(resource))
  if (typeof r === 'number')
    throw syscallError(r, 'prlimit', `${resource} of pid ${options.pid ?? process.pid}`)
  return { soft: r[0], hard: r[1] }
}

/**
 * Sets `resource`'s limits: a number sets soft and hard alike; an object sets
 * the given ones and keeps the other. Raising a hard limit needs root
 * (CAP_SYS_RESOURCE): otherwise PosixError E_SYSCALL with errno EPERM; a soft
 * limit above the hard one is EINVAL.
 */
export function setResourceLimit(
  resource: Resource,
  limit: number | Partial<ResourceLimit>,
  options: ResourceLimitOptions = {},
): void {
  const pid = pidOf(options)
  const n = resourceNumber(resource)
  let soft: number | undefined
  let hard: number | undefined
  if (typeof limit === 'number') {
    soft = limit
    hard = limit
  } else {
    ;({ soft, hard } = limit)
    if (soft === undefined || hard === undefined) {
      const now = getResourceLimit(resource, options)
      soft ??= now.soft
      hard ??= now.hard
    }
  }
  for (const v of [soft, hard]) {
    if (!(v >= 0) || (v !== Infinity && !Number.isSafeInteger(v))) {
      throw new PosixError(
        'E_ARGUMENT',
        `a ${resource} limit must be an integer >= 0 or Infinity, got ${v}`,
      )
    }
  }
  const r = native().setrlimit(pid, n, soft, hard)
  if (r < 0) {
    throw syscallError(
      r,
      'prlimit',
      `${resource}=${soft}:${hard} of pid ${options.pid ?? process.pid}`,
    )
  }
}
