import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { basename, dirname, join, normalize, relative, sep } from 'node:path'
import { PathsError } from './errors.js'
import { checkProcess, PROC_DIR } from './process.js'

/** What a pid file says about its server. */
export type PidFileState = 'running' | 'stale' | 'invalid' | 'foreign' | 'missing'

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
 * `/proc/<pid>/cmdline` names one of `names`), `stale` (no such process, or
 * a zombie), `invalid` (garbage, 0, negative, a symlink), `foreign` (alive
 * but another program), `missing`.
 */
export function inspectPidFile(
  path: string,
  options: { names: readonly string[]; procDir?: string },
): PidFileInfo {
  const read = readPidFile(path)
  if (read.state !== 'ok') {
    return { path, state: read.state, pid: undefined, permitted: true, cmdline: undefined }
  }
  const check = checkProcess(read.pid, options.names, options.procDir ?? PROC_DIR)
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

function checkDir(dir: string): void {
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
  if (st.mode & 0o002 && !(st.mode & 0o1000)) {
    throw new PathsError(
      'E_RUN_DIR_UNSAFE',
      `refusing run dir ${dir}: writable by others and not sticky (mode ${(st.mode & 0o7777).toString(8)})`,
      { path: dir },
    )
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
 * Makes sure `dir` (the run dir, or a directory inside it) exists and is safe
 * to write pid files into: each level from `runDir` down is created when
 * missing (0755) and must be a real directory — not a symlink — and not
 * writable by others unless sticky. The run dir's own parents are created
 * but not judged (`/var/run` is itself a symlink on Debian).
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
  checkDir(root)
  let current = root
  for (const part of rel === '' ? [] : rel.split(sep)) {
    current = join(current, part)
    if (tryLstat(current) === undefined) makeDir(current, false)
    checkDir(current)
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
