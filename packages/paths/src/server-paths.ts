import { existsSync, lstatSync, statSync } from 'node:fs'
import { join, normalize, relative, sep } from 'node:path'
import { searchTree } from './search-tree.js'
import { parseServerName, type ServerName } from './server-name.js'

/** Swift's defaults. */
export const SWIFT_DIR = '/etc/swift'
export const RUN_DIR = '/var/run/swift'

/** Where one server's configs and pid files live. */
export interface PathsOptions {
  /** Default {@link SWIFT_DIR}. */
  confDir?: string
  /** Default {@link RUN_DIR}. */
  runDir?: string
  /**
   * Servers that own their conf name instead of sharing `<type>-server.conf`
   * (swift: `container-reconciler`). The family data lives with the caller.
   */
  standaloneServers?: readonly string[]
}

function cleanDir(dir: string): string {
  const n = normalize(dir)
  return n.length > 1 && n.endsWith(sep) ? n.slice(0, -1) : n
}

function replaceFirst(text: string, from: string, to: string): string {
  const i = text.indexOf(from)
  return i === -1 ? text : text.slice(0, i) + to + text.slice(i + from.length)
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/**
 * Conf and pid paths of one server, as swift-init maps them:
 * `object-server.conf` ↔ `object-server.pid`, `object-server/1.conf` ↔
 * `object-server/1.pid`, `object-server.conf.d/` ↔ `object-server.pid.d`,
 * other servers of a type sharing its conf (`object-replicator` reads
 * `object-server.conf`, pid `object-replicator.pid`), standalone servers
 * owning theirs.
 *
 * One deliberate difference from swift: a named config (`object.2`) means
 * exactly `object-server/2.conf` (or `2.conf.d`), where swift also matched
 * `object-server/12.conf`; likewise its pid file is exactly `object-server/2.pid`.
 */
export class ServerPaths implements ServerName {
  readonly server: string
  readonly type: string
  readonly conf: string | undefined
  readonly confDir: string
  readonly runDir: string
  readonly standalone: boolean

  constructor(name: string | ServerName, options: PathsOptions = {}) {
    const parsed = typeof name === 'string' ? parseServerName(name) : name
    this.server = parsed.server
    this.type = parsed.type
    this.conf = parsed.conf
    this.confDir = cleanDir(options.confDir ?? SWIFT_DIR)
    this.runDir = cleanDir(options.runDir ?? RUN_DIR)
    this.standalone = (options.standaloneServers ?? []).includes(this.server)
  }

  /** The conf name this server searches by default: its own when standalone, else `<type>-server`. */
  get confSearchName(): string {
    return this.standalone ? this.server : `${this.type}-server`
  }

  /**
   * The conf files (and `.conf.d` dirs) found under `<confDir>/<search>*`,
   * sorted; with a named config, exactly `<confDir>/<search>/<conf>.conf`
   * and/or `<conf>.conf.d`.
   */
  findConfFiles(search: string = this.confSearchName): string[] {
    if (this.conf !== undefined) {
      const base = join(this.confDir, search, this.conf)
      const found: string[] = []
      const file = `${base}.conf`
      if (existsSync(file) && !isDir(file)) found.push(file)
      if (isDir(`${base}.conf.d`)) found.push(`${base}.conf.d`)
      return found.sort()
    }
    return searchTree(this.confDir, search, { exts: ['.conf'], dirExt: '.conf.d' })
  }

  /**
   * The pid files present in the run dir for this server, sorted: every file
   * under `<runDir>/<server>*` (as swift), or exactly `<server>/<conf>.pid`
   * (and `.pid.d`) with a named config. Symlinks are listed, never followed;
   * dot-files (our write temporaries) are skipped.
   */
  findPidFiles(): string[] {
    if (this.conf !== undefined) {
      const base = join(this.runDir, this.server, this.conf)
      return [`${base}.pid`, `${base}.pid.d`].filter((p) => lexists(p))
    }
    return searchTree(this.runDir, this.server, { followSymlinks: false, skipDotFiles: true })
  }

  /** The pid file that belongs to a conf file of this server. */
  pidFileFor(confFile: string): string {
    const rel = relativeInside(this.confDir, confFile)
    if (rel === undefined) {
      // Not under the conf dir: swift's plain string replacement.
      return replaceFirst(
        replaceFirst(confFile, `${this.type}-server`, this.server),
        '.conf',
        '.pid',
      )
    }
    return join(
      this.runDir,
      replaceFirst(replaceFirst(rel, `${this.type}-server`, this.server), '.conf', '.pid'),
    )
  }

  /**
   * The conf file a pid file of this server stands for; with `ownName`, the
   * one named after the server itself, as a standalone server's is (swift's
   * object-expirer falls back to `object-expirer.conf`).
   */
  confFileFor(pidFile: string, options: { ownName?: boolean } = {}): string {
    const rel = relativeInside(this.runDir, pidFile) ?? pidFile
    const named =
      this.standalone || options.ownName
        ? rel
        : replaceFirst(rel, this.server, `${this.type}-server`)
    const conf = replaceFirst(named, '.pid', '.conf')
    return rel === pidFile ? conf : join(this.confDir, conf)
  }
}

function lexists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined
}

function relativeInside(dir: string, path: string): string | undefined {
  const rel = relative(dir, normalize(path))
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) return undefined
  return rel
}

/**
 * `-c N`: the Nth (1-based) of the sorted configs, or none when out of
 * range; every config when `number` is 0 or unset. A negative N counts as
 * swift's Python list index `N - 1` does (`-1` is the one before the last).
 */
export function selectConfigNumber<T>(found: readonly T[], number?: number): T[] {
  if (!number) return [...found]
  let index = number - 1
  if (index < 0) index += found.length
  const one = index >= 0 ? found[index] : undefined
  return one === undefined ? [] : [one]
}
