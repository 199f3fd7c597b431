import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  type Stats,
  statSync,
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { interpolate } from './_interpolate.js'
import { DEFAULT_SECTION, scanConfigText } from './_scan.js'
import { ConfigError, type ConfigWhere } from './errors.js'

export interface LoadConfigOptions {
  /**
   * Values under every file's `[DEFAULT]`, as configparser's `defaults`
   * argument: a file's `[DEFAULT]` overrides them. Interpolation sees them.
   */
  defaults?: Record<string, string>
}

interface RawValue {
  value: string
  file?: string | undefined
  line?: number | undefined
}

interface RawSection {
  file: string
  line: number
  values: Map<string, RawValue>
}

/**
 * Reads a config file, or a `.conf.d` directory (every `*.conf` not starting
 * with a dot, sorted, read in order into one config: later files override
 * earlier ones key by key, as Swift's read_conf_dir does).
 */
export function loadConfig(path: string, options: LoadConfigOptions = {}): Config {
  const files = configFiles(path)
  const defaults = new Map<string, RawValue>()
  for (const [key, value] of Object.entries(options.defaults ?? {})) {
    defaults.set(key, { value: String(value) })
  }
  const sections = new Map<string, RawSection>()
  for (const file of files) {
    const text = readConfigFile(file)
    for (const scanned of scanConfigText(text, file)) {
      let target: Map<string, RawValue>
      if (scanned.name === DEFAULT_SECTION) {
        target = defaults
      } else {
        let section = sections.get(scanned.name)
        if (!section) {
          section = { file, line: scanned.line, values: new Map() }
          sections.set(scanned.name, section)
        }
        target = section.values
      }
      for (const entry of scanned.entries) {
        target.set(entry.key, { value: entry.value, file, line: entry.line })
      }
    }
  }
  return new Config(path, files, defaults, sections)
}

/**
 * The `here` and `__file__` defaults paste.deploy gives a config (`here` is
 * the file's directory, or a `.conf.d` directory itself, as Swift's
 * ConfigDirLoader has it), for `loadConfig(path, { defaults: pasteDefaults(path) })`.
 */
export function pasteDefaults(path: string): { here: string; __file__: string } {
  const abs = resolve(path)
  let isDir = false
  try {
    isDir = statSync(abs).isDirectory()
  } catch {
    // loadConfig reports the missing file with the right code.
  }
  return { here: isDir ? abs : dirname(abs), __file__: abs }
}

/** A loaded configuration: configparser's view of one file or one conf.d directory. */
export class Config {
  /** The path given to loadConfig. */
  readonly path: string
  /** The files read, in the order they were merged. */
  readonly files: readonly string[]
  readonly #defaults: Map<string, RawValue>
  readonly #sections: Map<string, RawSection>

  constructor(
    path: string,
    files: readonly string[],
    defaults: Map<string, RawValue>,
    sections: Map<string, RawSection>,
  ) {
    this.path = path
    this.files = files
    this.#defaults = defaults
    this.#sections = sections
  }

  /**
   * This config with more configparser defaults (the files' `[DEFAULT]`
   * still wins over them), without reading the files again.
   */
  withDefaults(extra: Record<string, string>): Config {
    const defaults = new Map<string, RawValue>()
    for (const [key, value] of Object.entries(extra)) defaults.set(key, { value: String(value) })
    for (const [key, raw] of this.#defaults) defaults.set(key, raw)
    return new Config(this.path, this.files, defaults, this.#sections)
  }

  /** Section names in the order they first appear, without DEFAULT. */
  sectionNames(): string[] {
    return [...this.#sections.keys()]
  }

  /** True when the section exists (DEFAULT never counts, as in configparser). */
  hasSection(name: string): boolean {
    return this.#sections.has(name)
  }

  /** The `[DEFAULT]` values, interpolated among themselves. */
  defaults(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const key of this.#defaults.keys()) out[key] = this.#get(undefined, key)!
    return out
  }

  /**
   * `[DEFAULT]` plus the section (the section wins), every value interpolated
   * in the section's context, as configparser's `items(section)`.
   */
  section(name: string): Record<string, string> {
    const section = this.#requireSection(name)
    const out: Record<string, string> = {}
    for (const key of this.#defaults.keys()) out[key] = this.#get(name, key)!
    for (const key of section.values.keys()) out[key] = this.#get(name, key)!
    return out
  }

  /**
   * One interpolated value of a section (DEFAULT included), or undefined when
   * unset. `section` may be `'DEFAULT'`.
   */
  get(section: string, key: string): string | undefined {
    if (section === DEFAULT_SECTION) return this.#get(undefined, key)
    this.#requireSection(section)
    return this.#get(section, key)
  }

  /**
   * Where a section, or a key as seen from a section, was set: for error
   * messages that name file, line, section and key.
   */
  where(section: string, key?: string): ConfigWhere {
    const s = section === DEFAULT_SECTION ? undefined : this.#sections.get(section)
    if (key === undefined) {
      return s ? { file: s.file, line: s.line, section } : { file: this.#mainFile(), section }
    }
    const raw = s?.values.get(key) ?? this.#defaults.get(key)
    if (raw) return { file: raw.file ?? this.#mainFile(), line: raw.line, section, key }
    return { file: s?.file ?? this.#mainFile(), section, key }
  }

  /**
   * Interpolates every value of every section, so a `--test-config` run finds
   * what would otherwise fail only when a section is read.
   */
  validate(): void {
    this.defaults()
    for (const name of this.#sections.keys()) this.section(name)
  }

  #mainFile(): string {
    return this.files.length === 1 ? this.files[0]! : this.path
  }

  #requireSection(name: string): RawSection {
    const section = this.#sections.get(name)
    if (!section) {
      throw new ConfigError(
        'E_CONFIG_NO_SECTION',
        { file: this.path, section: name },
        'no such section',
      )
    }
    return section
  }

  #get(sectionName: string | undefined, key: string): string | undefined {
    const section = sectionName === undefined ? undefined : this.#sections.get(sectionName)
    const raw = section?.values.get(key) ?? this.#defaults.get(key)
    if (!raw) return undefined
    const lookup = (name: string) => (section?.values.get(name) ?? this.#defaults.get(name))?.value
    return interpolate(raw.value, lookup, {
      file: raw.file ?? this.#mainFile(),
      line: raw.line,
      section: sectionName ?? DEFAULT_SECTION,
      key,
    })
  }
}

function configFiles(path: string): string[] {
  let isDir: boolean
  try {
    isDir = statSync(path).isDirectory()
  } catch (err) {
    throw fileError(path, err)
  }
  if (!isDir) return [path]
  let names: string[]
  try {
    names = readdirSync(path)
  } catch (err) {
    throw fileError(path, err)
  }
  const files = names
    .filter((n) => n.endsWith('.conf') && !n.startsWith('.'))
    .sort()
    .map((n) => join(path, n))
  if (files.length === 0) {
    throw new ConfigError('E_CONFIG_NOT_FOUND', { file: path }, 'no *.conf files in this directory')
  }
  return files
}

function readConfigFile(file: string): string {
  let bytes: Buffer
  let fd: number | undefined
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
    // writer forever; /dev/zero would be read until memory runs out.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
    const stat = fstatSync(fd)
    if (!stat.isFile()) {
      throw new ConfigError(
        'E_CONFIG_UNREADABLE',
        { file },
        stat.isDirectory()
          ? IS_A_DIRECTORY
          : `not a regular file (${fileKind(stat)}); a config is a file or a .conf.d directory`,
      )
    }
    bytes = readFileSync(fd)
  } catch (err) {
    throw err instanceof ConfigError ? err : fileError(file, err)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  return decodeUtf8(bytes, file)
}

const IS_A_DIRECTORY = 'is a directory, expected a file'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The file's text; invalid UTF-8 is an error naming the line (Python's
 * configparser, hence Swift, fails on it too), never U+FFFD quietly put in
 * a value.
 */
function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return utf8.decode(bytes)
  } catch {
    // The longest prefix that decodes (an unfinished sequence at its end allowed) ends at the bad byte.
    let lo = 0
    let hi = bytes.length
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2)
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true })
        lo = mid
      } catch {
        hi = mid - 1
      }
    }
    const start = sequenceStart(bytes, lo)
    let line = 1
    for (let i = 0; i < start; i++) if (bytes[i] === 0x0a) line++
    throw new ConfigError(
      'E_CONFIG_SYNTAX',
      { file, line },
      `not valid UTF-8 (byte ${start + 1} of the file); save it as UTF-8`,
    )
  }
}

/** Where the sequence that breaks at `end` began: an unfinished multi-byte lead before it, else `end`. */
function sequenceStart(bytes: Buffer, end: number): number {
  for (let k = end - 1; k >= Math.max(0, end - 3); k--) {
    const b = bytes[k]!
    if (b < 0x80) return end
    if (b >= 0xc0) {
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2
      return k + length > end ? k : end
    }
  }
  return end
}

function fileKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO'
  if (stat.isCharacterDevice()) return 'a character device'
  if (stat.isBlockDevice()) return 'a block device'
  if (stat.isSocket()) return 'a socket'
  return 'not a file'
}

function fileError(file: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ConfigError('E_CONFIG_NOT_FOUND', { file }, 'no such file', { cause: err })
  }
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EISDIR'
        ? IS_A_DIRECTORY
        : `cannot read (${code ?? String(err)})`
  return new ConfigError('E_CONFIG_UNREADABLE', { file }, why, { cause: err })
}
