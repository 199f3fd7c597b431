import { lstatSync, type Stats } from 'node:fs'
import { dirname } from 'node:path'
import { printable } from '@forklift/errors'
import { LogError } from './errors.js'

/** Options of {@link checkTrustedDirectory}. */
export interface TrustedDirectoryOptions {
  /** Owners whose directories are trusted; default root and the effective user. */
  trustedUids?: readonly number[]
  /** What the directory is for, in messages; default `log directory`. */
  role?: string
}

const S_ISVTX = 0o1000
const GROUP_OR_WORLD_WRITABLE = 0o022
const WORLD_WRITABLE = 0o002

function defaultTrusted(): number[] {
  const euid = process.geteuid?.()
  return euid === undefined || euid === 0 ? [0] : [0, euid]
}

function mode(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0')
}

/**
 * Refuses a directory another user could change under a root process: `dir`
 * (an absolute path without symlinks: pass a realpath) must be a directory
 * owned by a trusted uid and writable by nobody else — not group-writable,
 * not world-writable even with the sticky bit (another user could create the
 * file there before we do). Every directory above it must be owned by a
 * trusted uid and not world-writable unless sticky, or another user could
 * rename the path away and put their own in its place; group-writable
 * ancestors are allowed, since Ubuntu's /var/log is `root:syslog 0775`.
 * Throws LogError `E_LOG_DIR_UNSAFE`.
 */
export function checkTrustedDirectory(dir: string, options: TrustedDirectoryOptions = {}): void {
  const trusted = options.trustedUids ?? defaultTrusted()
  const role = options.role ?? 'log directory'
  const unsafe = (path: string, why: string) =>
    new LogError('E_LOG_DIR_UNSAFE', `refusing ${role} ${printable(dir)}: ${why}`, { path })
  const levels: string[] = []
  for (let d = dir; ; d = dirname(d)) {
    levels.unshift(d)
    if (dirname(d) === d) break
  }
  for (const path of levels) {
    const st = lstatSync(path)
    const self = path === dir
    const what = self ? 'it' : printable(path)
    if (st.isSymbolicLink()) throw unsafe(path, `${what} is a symlink`)
    if (!st.isDirectory()) throw unsafe(path, `${what} is not a directory`)
    if (!trusted.includes(st.uid)) {
      throw unsafe(path, `${what} is owned by uid ${st.uid}, not by ${trusted.join(' or ')}`)
    }
    if (self && st.mode & GROUP_OR_WORLD_WRITABLE) {
      const who = st.mode & WORLD_WRITABLE ? 'everyone' : 'its group'
      throw unsafe(path, `it is writable by ${who} (mode ${mode(st)})`)
    }
    if (!self && st.mode & WORLD_WRITABLE && !(st.mode & S_ISVTX)) {
      throw unsafe(path, `${what} is writable by everyone and not sticky (mode ${mode(st)})`)
    }
  }
}
