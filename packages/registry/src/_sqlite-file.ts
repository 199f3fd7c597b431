// The SQLite registry is a file other processes (and people) can delete,
// replace or overwrite under a running service. SQLite itself does not
// notice in WAL mode: a connection keeps writing into a deleted inode, or
// into its write-ahead log on top of a main file that fresh readers can no
// longer open. These checks make such a file fail loudly instead.

import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  type Stats,
  statSync,
} from 'node:fs'
import { dirname } from 'node:path'
import { RegistryError } from './errors.js'

/** The 16 bytes every SQLite 3 database file starts with. */
const MAGIC = Buffer.from('SQLite format 3\0', 'latin1')

/** What identifies the file a connection has open. */
interface Identity {
  dev: number
  ino: number
}

/**
 * Makes `path` ready to be opened by SQLite. Missing directories are created
 * only when not running as root: root creating a directory chain that a
 * service user can steer (a planted symlink, a directory they own) would
 * put root's files wherever that user wants. As root, the directory must
 * exist and be writable by root alone, and the file must not be a symlink.
 */
export function prepareSqlitePath(path: string, url: string, euid = process.geteuid?.()): void {
  const dir = dirname(path)
  if (euid !== 0) {
    mkdirSync(dir, { recursive: true, mode: 0o750 })
    return
  }
  let st: Stats
  try {
    st = statSync(dir)
  } catch {
    throw new RegistryError(
      'E_REGISTRY_CONNECT',
      `registry ${url}: directory ${dir} does not exist (create it first: forklift does not create directories as root)`,
    )
  }
  if (!st.isDirectory()) {
    throw new RegistryError('E_REGISTRY_CONNECT', `registry ${url}: ${dir} is not a directory`)
  }
  if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new RegistryError(
      'E_REGISTRY_CONNECT',
      `registry ${url}: directory ${dir} is writable by users other than root (owner uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}); refusing to open a database there as root`,
    )
  }
  let file: Stats | undefined
  try {
    file = lstatSync(path)
  } catch {
    return // SQLite creates it
  }
  if (!file.isFile()) {
    throw new RegistryError(
      'E_REGISTRY_CONNECT',
      `registry ${url}: ${path} is not a regular file${file.isSymbolicLink() ? ' (a symlink)' : ''}`,
    )
  }
}

/**
 * Tells whether the file at a path is still the one a connection opened,
 * and still looks like a SQLite database to a fresh reader.
 */
export class SqliteFileWatch {
  readonly #path: string
  readonly #url: string
  readonly #identity: Identity

  /**
   * Call right after SQLite opened `path`: records which file that was. While
   * the connection holds it open its inode cannot be freed, so no later file
   * at the path can have the same numbers.
   */
  constructor(path: string, url: string) {
    this.#path = path
    this.#url = url
    const st = statSync(path)
    this.#identity = { dev: st.dev, ino: st.ino }
  }

  /**
   * Throws E_REGISTRY_MOVED when the path was deleted or now names another
   * file, E_REGISTRY_CORRUPT when its header is not a SQLite database's.
   * A few syscalls: cheap enough for every heartbeat.
   */
  check(): void {
    let now: Stats
    try {
      now = statSync(this.#path)
    } catch {
      this.#moved('was deleted')
    }
    if (now.dev !== this.#identity.dev || now.ino !== this.#identity.ino) {
      this.#moved('was replaced by another file')
    }
    const problem = headerProblem(this.#path)
    if (problem) {
      throw new RegistryError('E_REGISTRY_CORRUPT', `registry ${this.#url}: ${problem}`)
    }
  }

  #moved(what: string): never {
    throw new RegistryError(
      'E_REGISTRY_MOVED',
      `registry ${this.#url}: the database file ${what} since it was opened`,
    )
  }
}

/** Why the file's first bytes are not a SQLite 3 header, or undefined when they are. */
function headerProblem(path: string): string | undefined {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (err) {
    return `cannot read the database file (${(err as NodeJS.ErrnoException).code})`
  }
  try {
    const head = Buffer.alloc(100)
    const n = readSync(fd, head, 0, 100, 0)
    // A file SQLite has created but not written yet is empty: that is fine.
    if (n === 0) return undefined
    if (n < 100 || !head.subarray(0, 16).equals(MAGIC)) {
      return 'the database file is not a SQLite database any more (its header was overwritten)'
    }
    const pageSize = head.readUInt16BE(16)
    if (!(pageSize === 1 || (pageSize >= 512 && (pageSize & (pageSize - 1)) === 0))) {
      return `the database file's header is damaged (page size ${pageSize})`
    }
    return undefined
  } finally {
    closeSync(fd)
  }
}
