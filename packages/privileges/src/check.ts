import { spawnSync } from 'node:child_process'
import { closeSync, constants, openSync, readdirSync, statSync } from 'node:fs'
import { type ErrorWhere, formatError, printable, shortInput } from '@forklift/errors'
import { PrivilegesError } from './errors.js'
import { lookupUser, type UserInfo } from './user.js'

/** Options of {@link checkCanRunAs} and {@link checkReadableAs}. */
export interface CheckOptions {
  /** Where the user was configured (file, section, key `user`): errors name it. */
  where?: ErrorWhere | undefined
}

/**
 * What dropPrivileges(name) would refuse, found without changing anything:
 * the user must exist (E_NO_SUCH_USER), and switching to it needs root unless
 * the process already runs as it (E_PERMISSION). Returns the user, for
 * checkReadableAs. For `--test-config` and for checks before anything binds.
 */
export function checkCanRunAs(name: string, options: CheckOptions = {}): UserInfo {
  const info = lookupUser(name, options)
  const euid = process.geteuid?.()
  if (euid === undefined || euid === 0) return info
  if (process.getuid?.() === info.uid && euid === info.uid) return info
  throw new PrivilegesError(
    'E_PERMISSION',
    `cannot run as user '${info.name}' (uid ${info.uid}): changing user needs root (running as uid ${euid})`,
    { user: name, where: options.where },
  )
}

/** One failure to read, as the probe reports it. */
interface Unreadable {
  path: string
  code: string
  message: string
}

// Opens each path for reading (lists a directory) and prints the first
// failure as JSON, after becoming the user in argv: the kernel's own answer,
// ACLs and supplementary groups included, which mode bits alone do not give.
const PROBE = `
const { uid, gid, groups, paths } = JSON.parse(process.argv[1])
const fs = require('node:fs')
let out = {}
try {
  if (process.getuid() === 0 && uid !== 0) { process.setgroups(groups); process.setgid(gid); process.setuid(uid) }
  for (const path of paths) {
    try {
      if (fs.statSync(path).isDirectory()) fs.readdirSync(path)
      else fs.closeSync(fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK))
    } catch (e) { out = { path, code: e.code || 'EIO', message: e.message }; break }
  }
} catch (e) { out = { path: '', code: 'ESWITCH', message: String(e && e.message) } }
process.stdout.write(JSON.stringify(out))
`

/** A probe as the user must not hang a start: the NSS-free work it does takes milliseconds. */
const PROBE_TIMEOUT_MS = 30_000

function probeHere(paths: readonly string[]): Unreadable | undefined {
  for (const path of paths) {
    try {
      if (statSync(path).isDirectory()) readdirSync(path)
      else closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK))
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      return { path, code: e.code ?? 'EIO', message: formatError(err) }
    }
  }
  return undefined
}

function probeAs(user: UserInfo, paths: readonly string[]): Unreadable | undefined {
  const flags = process.allowedNodeEnvironmentFlags.has('--disable-sigusr1')
    ? ['--disable-sigusr1']
    : []
  const payload = JSON.stringify({ uid: user.uid, gid: user.gid, groups: user.groups, paths })
  const res = spawnSync(process.execPath, [...flags, '-e', PROBE, payload], {
    encoding: 'utf8',
    env: {},
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: PROBE_TIMEOUT_MS,
  })
  let out: Partial<Unreadable> | undefined
  try {
    out = JSON.parse(res.stdout) as Partial<Unreadable>
  } catch {
    out = undefined
  }
  if (res.status !== 0 || out === undefined) {
    const why = res.error
      ? formatError(res.error)
      : res.stderr.trim() || `exited with ${res.status ?? res.signal}`
    return { path: '', code: 'EPROBE', message: `the check as that user failed: ${why}` }
  }
  return out.path === undefined ? undefined : (out as Unreadable)
}

function describeProblem(p: Unreadable): string {
  switch (p.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no such file'
    default:
      return p.message
  }
}

/**
 * Checks that `user` can read every path (open a file for reading, list a
 * directory), as that user: as root, in a short-lived child process that
 * switches to the user's uid, gid and groups first, so the answer is the
 * kernel's (ACLs, supplementary groups, every parent directory's search
 * permission). A server that reads its config again after dropping
 * privileges (Swift's workers do) finds out at --test-config instead of in
 * every worker. Throws E_NOT_READABLE naming the path and `where`.
 */
export function checkReadableAs(
  user: UserInfo,
  paths: readonly string[],
  options: CheckOptions = {},
): void {
  if (paths.length === 0) return
  const switching = process.geteuid?.() === 0 && user.uid !== 0
  const problem = switching ? probeAs(user, paths) : probeHere(paths)
  if (problem === undefined) return
  const who = `user '${shortInput(user.name)}' (uid ${user.uid})`
  const message =
    problem.code === 'ESWITCH' || problem.code === 'EPROBE'
      ? `cannot check what ${who} can read: ${problem.message}`
      : `${who} cannot read ${printable(problem.path)}: ${describeProblem(problem)}`
  throw new PrivilegesError('E_NOT_READABLE', message, { user: user.name, where: options.where })
}
