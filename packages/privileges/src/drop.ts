import { readFileSync } from 'node:fs'
import { formatError } from '@forklift/errors'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'
import { PrivilegesError } from './errors.js'
import { lookupUser, type UserInfo } from './user.js'

/** What {@link dropPrivileges} did. */
export interface DropResult {
  /** The user switched to (or already running as). */
  user: UserInfo
  /** False when nothing had to change: not root and already that user. */
  changed: boolean
}

/** Options of {@link dropPrivileges}. */
export interface DropOptions {
  logger?: Logger
  /** The environment to set HOME, USER and LOGNAME in; default process.env. */
  env?: NodeJS.ProcessEnv
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const sa = [...new Set(a)].sort((x, y) => x - y)
  const sb = [...new Set(b)].sort((x, y) => x - y)
  return sa.length === sb.length && sa.every((v, i) => v === sb[i])
}

/** Real, effective, saved and filesystem ids from /proc/self/status, when /proc is there. */
function procIds(field: 'Uid' | 'Gid'): number[] | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const line = status.split('\n').find((l) => l.startsWith(`${field}:`))
    return line
      ?.slice(field.length + 1)
      .trim()
      .split(/\s+/)
      .map(Number)
  } catch {
    return undefined
  }
}

function verify(user: UserInfo): void {
  const problems: string[] = []
  const uids = procIds('Uid') ?? [process.getuid!(), process.geteuid!()]
  const gids = procIds('Gid') ?? [process.getgid!(), process.getegid!()]
  // The saved set-user-ID matters most: with it still 0 the process could regain root.
  if (!uids.every((u) => u === user.uid)) problems.push(`uids ${uids.join('/')} (want ${user.uid})`)
  if (!gids.every((g) => g === user.gid)) problems.push(`gids ${gids.join('/')} (want ${user.gid})`)
  const groups = process.getgroups!()
  if (!sameSet(groups, user.groups)) {
    problems.push(`groups ${groups.join(',')} (want ${user.groups.join(',')})`)
  }
  if (problems.length > 0) {
    throw new PrivilegesError(
      'E_VERIFY',
      `Dropped privileges to user '${user.name}' but the process has ${problems.join(', ')}`,
      { user: user.name },
    )
  }
}

/**
 * Swift's drop_privileges: as root, switches this process to `user` —
 * supplementary groups, then gid, then uid (the gid must change while we may
 * still change it) — sets HOME, USER and LOGNAME, and verifies the result
 * (real, effective and saved ids). Not root and already that user: a no-op.
 * Not root and another user: E_PERMISSION. Unknown user: E_NO_SUCH_USER.
 */
export function dropPrivileges(user: string, options: DropOptions = {}): DropResult {
  const logger = options.logger ?? silentLogger()
  const env = options.env ?? process.env
  if (
    typeof process.setuid !== 'function' ||
    typeof process.setgroups !== 'function' ||
    typeof process.geteuid !== 'function'
  ) {
    throw new PrivilegesError(
      'E_PERMISSION',
      `Cannot drop privileges to user '${user}': not supported here (Windows, or a worker thread)`,
      { user },
    )
  }
  const info = lookupUser(user)
  const euid = process.geteuid()
  if (euid !== 0) {
    if (process.getuid!() === info.uid && euid === info.uid) {
      logger.debug({ user: info.name, uid: info.uid }, 'already running as the configured user')
      return { user: info, changed: false }
    }
    throw new PrivilegesError(
      'E_PERMISSION',
      `Cannot drop privileges to user '${info.name}' (uid ${info.uid}): running as uid ${euid}, not root; start as root or set user = the user running it`,
      { user },
    )
  }
  let step = 'setgroups'
  try {
    process.setgroups(info.groups)
    step = 'setgid'
    process.setgid!(info.gid)
    step = 'setuid'
    process.setuid(info.uid)
  } catch (err) {
    throw new PrivilegesError(
      'E_PERMISSION',
      `Cannot drop privileges to user '${info.name}': ${step} failed: ${formatError(err)}`,
      { cause: err, user },
    )
  }
  env.HOME = info.home
  env.USER = info.name
  env.LOGNAME = info.name
  verify(info)
  logger.info(
    { user: info.name, uid: info.uid, gid: info.gid, groups: info.groups },
    'dropped privileges',
  )
  return { user: info, changed: true }
}

/**
 * The rest of Swift's clean_up_daemon_hygiene: chdir / (so the daemon does not
 * pin the directory it was started from) and umask 022. Swift also calls
 * setsid(); Node cannot, so a new session comes from whoever spawns the daemon
 * with `spawn(..., { detached: true })` (swift-init does).
 */
export function cleanUpDaemonHygiene(): void {
  process.chdir('/')
  process.umask(0o022)
}
