import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
} from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { printable } from '@forklift/errors'
import {
  type LogDestination,
  type LogFormat,
  renderRecord,
  stderrDestination,
  writeAllSync,
} from './destination.js'
import { LogError } from './errors.js'
import { type LogRecord, noteRecord } from './record.js'
import { checkTrustedDirectory } from './trusted-dir.js'

/** Mode of log files we create: the service's logs may hold request data, so not world-readable. */
export const LOG_FILE_MODE = 0o640
/** Mode of log directories we create (only when asked to). */
export const LOG_DIR_MODE = 0o755

// O_NOFOLLOW: a symlink planted at the log path is refused, never followed.
// O_NONBLOCK: a FIFO planted there cannot hang us in open(2) waiting for a reader.
// O_NOCTTY: a terminal device planted there cannot become our controlling tty.
const OPEN_FLAGS =
  constants.O_WRONLY |
  constants.O_APPEND |
  constants.O_CREAT |
  constants.O_NOFOLLOW |
  constants.O_NONBLOCK |
  constants.O_NOCTTY

/** Options of {@link openLogFile}. */
export interface OpenLogFileOptions {
  /** Create missing directories (mode 0755) — only when the operator asked for it. Default false. */
  createDir?: boolean
  /** Mode of a new file; default 0640. An existing file keeps its mode. */
  mode?: number
  /** Owners whose directories are trusted; default root and the effective user. */
  trustedUids?: readonly number[]
}

function kind(path: string): string {
  try {
    const st = lstatSync(path)
    if (st.isSymbolicLink()) return 'a symlink'
    if (st.isFIFO()) return 'a FIFO'
    if (st.isSocket()) return 'a socket'
    if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
    if (st.isDirectory()) return 'a directory'
    return 'not a regular file'
  } catch {
    return 'not a regular file'
  }
}

function resolveDir(dir: string, path: string, createDir: boolean): string {
  try {
    return realpathSync(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' || !createDir) {
      throw new LogError(
        code === 'ENOENT' ? 'E_LOG_DIR_MISSING' : 'E_LOG_FILE_OPEN',
        code === 'ENOENT'
          ? `cannot open log file ${printable(path)}: directory ${printable(dir)} does not exist (create it, or ask for it to be created)`
          : `cannot open log file ${printable(path)}: ${(err as Error).message}`,
        { cause: err, path: dir },
      )
    }
  }
  try {
    mkdirSync(dir, { recursive: true, mode: LOG_DIR_MODE })
    return realpathSync(dir)
  } catch (err) {
    throw new LogError(
      'E_LOG_FILE_OPEN',
      `cannot create log directory ${printable(dir)}: ${(err as Error).message}`,
      {
        cause: err,
        path: dir,
      },
    )
  }
}

/**
 * Opens `path` for appending as a root process safely can: the directory is
 * resolved (symlinks the operator wrote are fine) and must be trusted
 * ({@link checkTrustedDirectory}: no other user can write it or any
 * directory above it), the file is opened in that real directory without
 * following a symlink and without blocking on a FIFO, and what was opened
 * must be a regular file. Returns the fd. Throws LogError `E_LOG_FILE_UNSAFE`,
 * `E_LOG_DIR_UNSAFE`, `E_LOG_DIR_MISSING` or `E_LOG_FILE_OPEN`.
 */
export function openLogFileFd(path: string, options: OpenLogFileOptions = {}): number {
  const absolute = resolve(path)
  const name = basename(absolute)
  if (name === '' || absolute.endsWith('/')) {
    throw new LogError('E_LOG_FILE_UNSAFE', `log file ${printable(path)} names a directory`, {
      path,
    })
  }
  const realDir = resolveDir(dirname(absolute), path, options.createDir === true)
  checkTrustedDirectory(realDir, {
    role: `log file ${printable(path)}: directory`,
    ...(options.trustedUids ? { trustedUids: options.trustedUids } : {}),
  })
  const real = join(realDir, name)
  let fd: number
  try {
    fd = openSync(real, OPEN_FLAGS, options.mode ?? LOG_FILE_MODE)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // ELOOP: a symlink; ENXIO: a FIFO nobody reads; EISDIR: a directory; ENODEV/ENXIO: a device.
    if (code === 'ELOOP' || code === 'ENXIO' || code === 'EISDIR' || code === 'ENODEV') {
      throw new LogError(
        'E_LOG_FILE_UNSAFE',
        `refusing log file ${printable(path)}: it is ${kind(real)}`,
        {
          cause: err,
          path,
        },
      )
    }
    throw new LogError(
      'E_LOG_FILE_OPEN',
      `cannot open log file ${printable(path)}: ${(err as Error).message}`,
      {
        cause: err,
        path,
      },
    )
  }
  let regular = false
  try {
    regular = fstatSync(fd).isFile()
  } finally {
    if (!regular) closeSync(fd)
  }
  if (!regular) {
    throw new LogError(
      'E_LOG_FILE_UNSAFE',
      `refusing log file ${printable(path)}: it is ${kind(real)}`,
      {
        path,
      },
    )
  }
  return fd
}

/** A log file destination: {@link LogDestination} plus the path and the fd in use. */
export interface FileDestination extends LogDestination {
  readonly path: string
  /** The open file descriptor (changes on reopen); -1 once closed. */
  readonly fd: number
  /** Opens the path anew and switches to it; the old file is closed after the switch, so no line is lost. */
  reopen(): void
  close(): void
}

/** Options of {@link openLogFile}'s destination. */
export interface LogFileDestinationOptions extends OpenLogFileOptions {
  /** `json` (default) or `text`. */
  format?: LogFormat
  /** Where a record goes when the file cannot take it (a full disk); default standard error. */
  fallback?: LogDestination
}

/**
 * A destination appending records to `path`, opened by {@link openLogFileFd}
 * and reopened the same way by `reopen()` (the logrotate signal): a moved
 * file keeps what it had, new lines land in a new file at `path`. A write
 * that fails (a full disk) goes to `fallback`, with one warning per outage.
 */
export function openLogFile(
  path: string,
  options: LogFileDestinationOptions = {},
): FileDestination {
  const format = options.format ?? 'json'
  let fd = openLogFileFd(path, options)
  let failing = false
  let fallback = options.fallback
  const toFallback = (record: LogRecord, err: Error) => {
    fallback ??= stderrDestination()
    if (!failing) {
      failing = true
      fallback.write(
        noteRecord(
          record,
          'warn',
          `cannot write to log file ${printable(path)} (${err.message}): writing to ${fallback.description} until it works again`,
        ),
      )
    }
    fallback.write(record)
  }
  return {
    description: `file ${printable(path)}`,
    path,
    get fd() {
      return fd
    },
    write(record) {
      if (fd < 0) return
      const err = writeAllSync(fd, `${renderRecord(record, format)}\n`)
      if (err) toFallback(record, err)
      else failing = false
    },
    reopen() {
      if (fd < 0) return
      const next = openLogFileFd(path, options)
      const old = fd
      fd = next
      closeSync(old)
    },
    async flush() {},
    close() {
      if (fd < 0) return
      const old = fd
      fd = -1
      closeSync(old)
    },
  }
}
