import { execFileSync } from 'node:child_process'
import { type ErrorWhere, formatError, quoteInput, shortInput } from '@forklift/errors'
import { PrivilegesError } from './errors.js'

/** A user from the system user database (NSS: files, LDAP, sssd, systemd-homed ...). */
export interface UserInfo {
  name: string
  uid: number
  /** The primary group. */
  gid: number
  home: string
  shell: string
  /**
   * Every group the user's processes get, as initgroups(3) / `id -G` give it:
   * the primary group first, then the supplementary groups, without duplicates.
   */
  groups: number[]
}

/** getent's exit status when the key is not in the database. */
const GETENT_NOT_FOUND = 2
/** A stuck NSS backend (an unreachable LDAP server) must not hang a daemon's start forever. */
const GETENT_TIMEOUT_MS = 30_000

/** Options of {@link lookupUser}. */
export interface LookupOptions {
  /** Where the name was configured (file, section, key): errors name it. */
  where?: ErrorWhere | undefined
}

function getent(
  database: 'passwd' | 'initgroups',
  key: string,
  where: ErrorWhere | undefined,
): string | undefined {
  try {
    // `--`: a name like `--service=files` must stay a key (getent would list
    // every user, root first), never become an option.
    return execFileSync('getent', [database, '--', key], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: GETENT_TIMEOUT_MS,
    })
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null; stderr?: string }
    if (e.status === GETENT_NOT_FOUND) return undefined
    const why =
      e.code === 'ENOENT'
        ? 'getent not found (install libc-bin)'
        : e.stderr?.trim() || formatError(err)
    throw new PrivilegesError(
      'E_LOOKUP',
      `Cannot look up user '${shortInput(key)}' (getent ${database}): ${why}`,
      { cause: err, user: key, where },
    )
  }
}

// What no user name holds: blanks, `:` (the passwd field separator), controls,
// invisible characters; nor does one start with `-` (useradd refuses it).
const BAD_NAME_RE = /[\s:\p{Cc}\p{Cf}]|^-/u

/**
 * Looks a user up by name (or by numeric uid) through the system user
 * database with `getent passwd` and `getent initgroups`, so users from LDAP or
 * sssd work as they do for Python's pwd/grp. Throws E_NO_SUCH_USER when absent
 * (or when `name` cannot be a user name), naming `options.where` when given.
 */
export function lookupUser(name: string, options: LookupOptions = {}): UserInfo {
  const { where } = options
  const noSuchUser = () =>
    new PrivilegesError('E_NO_SUCH_USER', `User '${shortInput(String(name))}' does not exist`, {
      user: String(name),
      where,
    })
  if (typeof name !== 'string' || name === '' || BAD_NAME_RE.test(name)) throw noSuchUser()
  const passwd = getent('passwd', name, where)
  // getent prints one line per match; a numeric key matches by uid.
  const line = passwd?.split('\n').find((l) => l.trim() !== '')
  if (line === undefined) throw noSuchUser()
  const f = line.split(':')
  const [pwName, , uidS, gidS, , home, shell] = f
  if (f.length < 7 || !/^\d+$/.test(uidS ?? '') || !/^\d+$/.test(gidS ?? '')) {
    throw new PrivilegesError(
      'E_LOOKUP',
      `getent passwd ${shortInput(name)}: unexpected line ${quoteInput(line)}`,
      { user: name, where },
    )
  }
  const uid = Number(uidS)
  const gid = Number(gidS)
  // `getent initgroups NAME` prints "NAME  gid gid ...": the supplementary
  // groups only (glibc asks with group -1), so the primary group comes from passwd.
  const initgroups = getent('initgroups', pwName!, where) ?? ''
  const supplementary = initgroups
    .trim()
    .split(/\s+/)
    .slice(1)
    .filter((g) => /^\d+$/.test(g))
    .map(Number)
  const groups = [gid, ...supplementary.filter((g) => g !== gid)].filter(
    (g, i, all) => all.indexOf(g) === i,
  )
  return { name: pwName!, uid, gid, home: home ?? '', shell: shell ?? '', groups }
}
