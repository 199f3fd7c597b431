import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { basename, dirname, join, normalize, relative, sep } from 'node:path'
import { PathsError } from './errors.js'
import { checkProcess, PROC_DIR } from './process.js'
import type { ServerCommand } from './server-argv.js'

/** What a pid file says about its server. */
export type PidFileState = 'running' | 'stale' | 'dying' | 'invalid' | 'foreign' | 'missing'

/** One pid file, read and judged by {@link inspectPidFile}. */
export interface PidFileInfo {
  path: string
  state: PidFileState
  /** The pid it holds, when it holds a valid one. */
  pid: number | undefined
  /** False when the pid is alive but owned by a user we may not signal. */
  permitted: boolean
  /** The process's argv, when it was read. */
  cmdline: string[] | undefined
}

/** File mode of pid files: readable by everyone, as swift's. */
export const PID_FILE_MODE = 0o644
/** Mode of run dirs we create. */
export const RUN_DIR_MODE = 0o755
const MAX_PID = 0x7fffffff
const MAX_PID_FILE_BYTES = 64

/** A pid from pid-file text: optional whitespace around a decimal integer; undefined otherwise or when not > 0. */
export function parsePid(text: string): number | undefined {
  const m = /^\s*\+?(\d{1,10})\s*$/.exec(text)
  if (!m) return undefined
  const pid = Number(m[1])
  return pid > 0 && pid <= MAX_PID ? pid : undefined
}

/**
 * Reads a pid file without following a symlink (O_NOFOLLOW) or blocking on a
 * planted FIFO (O_NONBLOCK). `missing` when absent; `invalid` for a symlink,
 * a non-regular file, garbage, 0 or a negative number. Throws
 * PathsError E_PID_FILE_UNREADABLE when it exists but cannot be read.
 */
export function readPidFile(
  path: string,
):
  | { state: 'missing' }
  | { state: 'invalid'; content: string | undefined }
  | { state: 'ok'; pid: number } {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { state: 'missing' }
    if (code === 'ELOOP') return { state: 'invalid', content: undefined }
    throw new PathsError('E_PID_FILE_UNREADABLE', `cannot read pid file ${path}`, {
      cause: err,
      path,
    })
  }
  try {
    if (!fstatSync(fd).isFile()) return { state: 'invalid', content: undefined }
    const buf = Buffer.alloc(MAX_PID_FILE_BYTES + 1)
    let n = 0
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null)
      if (r === 0 || n + r >= buf.length) {
        n += r
        break
      }
      n += r
    }
    const content = buf.subarray(0, n).toString('utf8')
    if (n > MAX_PID_FILE_BYTES) return { state: 'invalid', content }
    const pid = parsePid(content)
    return pid === undefined ? { state: 'invalid', content } : { state: 'ok', pid }
  } catch (err) {
    throw new PathsError('E_PID_FILE_UNREADABLE', `cannot read pid file ${path}`, {
      cause: err,
      path,
    })
  } finally {
    closeSync(fd)
  }
}

/**
 * Reads a pid file and judges its pid: `running` (alive and its
 * `/proc/<pid>/cmdline` is the server, as `matchServerArgv` says), `stale`
 * (no such process), `dying` (a zombie, or exiting), `invalid` (garbage, 0,
 * negative, a symlink), `foreign` (alive but another program), `missing`.
 */
export function inspectPidFile(
  path: string,
  options: { server: ServerCommand; procDir?: string },
): PidFileInfo {
  const read = readPidFile(path)
  if (read.state !== 'ok') {
    return { path, state: read.state, pid: undefined, permitted: true, cmdline: undefined }
  }
  const check = checkProcess(read.pid, options.server, options.procDir ?? PROC_DIR)
  return { path, pid: read.pid, ...check }
}

/** Removes a pid file (or a symlink planted in its place, never its target); false when there was nothing to remove. */
export function removePidFile(path: string): boolean {
  try {
    unlinkSync(path)
    return true
  } catch {
    return false
  }
}

function tryLstat(path: string) {
  try {
    return lstatSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw err
  }
}

const mode = (m: number) => (m & 0o7777).toString(8).padStart(3, '0')

/** `owned by uid N (…)` when neither we nor root own `st`. */
function foreignOwner(st: Stats): string | undefined {
  const euid = process.geteuid?.() ?? 0
  if (st.uid === euid || st.uid === 0) return undefined
  return `owned by uid ${st.uid} (${euid === 0 ? 'not root' : `neither uid ${euid} nor root`})`
}

/** Why `st` (a directory) can be changed by a user other than us and root, or undefined. */
function unsafeBecause(st: Stats): string | undefined {
  const owner = foreignOwner(st)
  if (owner) return owner
  const who = [st.mode & 0o020 ? 'its group' : '', st.mode & 0o002 ? 'others' : '']
    .filter(Boolean)
    .join(' and ')
  return who ? `writable by ${who} (mode ${mode(st.mode)})` : undefined
}

function checkDir(dir: string, runDir: string): void {
  const st = lstatSync(dir)
  if (st.isSymbolicLink()) {
    throw new PathsError('E_RUN_DIR_SYMLINK', `refusing run dir ${dir}: it is a symlink`, {
      path: dir,
    })
  }
  if (!st.isDirectory()) {
    throw new PathsError('E_RUN_DIR_UNSAFE', `refusing run dir ${dir}: not a directory`, {
      path: dir,
    })
  }
  const why = unsafeBecause(st)
  if (why) {
    const message =
      dir === runDir
        ? `refusing run dir ${dir}: ${why}`
        : `refusing run dir ${runDir}: ${dir} is ${why}`
    throw new PathsError('E_RUN_DIR_UNSAFE', message, { path: dir })
  }
}

/**
 * The directories above the run dir must not let another user swap it for
 * one of theirs: each is owned by us or root, and writable by nobody else
 * unless sticky (`/tmp`, where only the owner may rename what is in it).
 */
function checkAncestors(runDir: string): void {
  let dir: string
  try {
    dir = realpathSync(dirname(runDir))
  } catch {
    return // created just below, by us
  }
  for (;;) {
    const st = statSync(dir)
    const why =
      foreignOwner(st) ??
      (st.mode & 0o022 && !(st.mode & 0o1000)
        ? `writable by ${st.mode & 0o002 ? 'others' : 'its group'} and not sticky (mode ${mode(st.mode)})`
        : undefined)
    if (why) {
      throw new PathsError(
        'E_RUN_DIR_UNSAFE',
        `refusing run dir ${runDir}: its parent ${dir} is ${why}`,
        {
          path: dir,
        },
      )
    }
    const up = dirname(dir)
    if (up === dir) return
    dir = up
  }
}

function makeDir(dir: string, recursive: boolean): void {
  try {
    mkdirSync(dir, { mode: RUN_DIR_MODE, recursive })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    // swift-init's words for the same failure.
    throw new PathsError(
      'E_RUN_DIR_CREATE',
      code === 'EACCES' || code === 'EPERM'
        ? `Unable to create ${dir}.  Running as non-root?`
        : `Unable to create ${dir}`,
      { cause: err, path: dir },
    )
  }
}

/**
 * Makes sure `dir` (the run dir, or a directory inside it) exists and that
 * no other user can change what is in it: each level from `runDir` down is
 * created when missing (0755) and must be a real directory — not a symlink —
 * owned by us or root and writable by neither its group nor others (sticky
 * or not). The run dir's parents (symlinks resolved: `/var/run` is one on
 * Debian) must be owned by us or root and not writable by others unless
 * sticky.
 */
export function ensureRunDir(runDir: string, dir: string = runDir): void {
  const root = normalize(runDir)
  const rel = relative(root, normalize(dir))
  if (rel.startsWith('..') || rel.startsWith(sep)) {
    throw new PathsError('E_PID_FILE_OUTSIDE', `${dir} is not inside the run dir ${runDir}`, {
      path: dir,
    })
  }
  if (tryLstat(root) === undefined) makeDir(root, true)
  checkAncestors(root)
  checkDir(root, root)
  let current = root
  for (const part of rel === '' ? [] : rel.split(sep)) {
    current = join(current, part)
    if (tryLstat(current) === undefined) makeDir(current, false)
    checkDir(current, root)
  }
}

let tempCounter = 0

/**
 * Writes `pid` to `path` atomically: a temporary dot-file created with
 * O_EXCL|O_NOFOLLOW in the same directory, mode 0644, then renamed over
 * `path` (rename replaces a symlink planted at `path`, it never writes
 * through it). Creates and checks the directories with {@link ensureRunDir}.
 */
export function writePidFile(path: string, pid: number, options: { runDir: string }): void {
  const dir = dirname(path)
  ensureRunDir(options.runDir, dir)
  const temp = join(dir, `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`)
  let fd: number | undefined
  try {
    fd = openSync(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      PID_FILE_MODE,
    )
    fchmodSync(fd, PID_FILE_MODE) // whatever the umask
    writeSync(fd, `${pid}\n`)
    closeSync(fd)
    fd = undefined
    renameSync(temp, path)
  } catch (err) {
    if (fd !== undefined) closeSync(fd)
    removePidFile(temp)
    throw new PathsError('E_PID_FILE_WRITE', `cannot write pid file ${path}`, {
      cause: err,
      path,
    })
  }
}
