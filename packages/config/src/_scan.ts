import { printable, quoteInput } from '@forklift/errors'
import { decode } from 'ini'
import { ConfigError } from './errors.js'

/** One `key = value` of one file, continuation lines joined. */
export interface ScannedEntry {
  key: string
  value: string
  line: number
}

/** One `[name]` header of one file and the entries under it (DEFAULT may occur more than once). */
export interface ScannedSection {
  name: string
  line: number
  entries: ScannedEntry[]
}

export const DEFAULT_SECTION = 'DEFAULT'

// configparser's SECTCRE and OPTCRE (Lib/configparser.py), applied to the stripped line.
// `s`: Python's `.` matches U+2028/U+2029, JavaScript's only with dotAll.
const SECTION_RE = /^\[(.+)\]/s
const OPTION_RE = /^(.*?)\s*([=:])\s*(.*)$/s

// A name holding a control or invisible character is never the option the
// operator meant: `bind_ip\0 = 10.0.0.1` sets another key than bind_ip, and the
// server would quietly bind the default 0.0.0.0. Tabs are blanks configparser
// keeps inside names, so they stay allowed.
const BAD_NAME_CHAR = /(?!\t)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u

/** What a bad character is, for a message: `a NUL byte`, `the control character \u001b`. */
function describeChar(c: string): string {
  if (c === '\0') return 'a NUL byte'
  return /\p{Cc}/u.test(c)
    ? `the control character ${printable(c)}`
    : `the invisible character ${printable(c)}`
}

/**
 * Splits one file into sections and entries with configparser's grammar as
 * Swift and paste.deploy use it (strict mode, `=` or `:` delimiters, full-line
 * `#`/`;` comments only, indented continuation lines, blank lines kept inside
 * a continued value), recording a line number for everything. `ini` has no
 * notion of most of this and reports nothing, so this pass owns the grammar;
 * `ini` then decodes the entries (see decodeEntries).
 */
export function scanConfigText(text: string, file: string): ScannedSection[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const lines = text.split(/\r\n|\r|\n/)
  const sections: ScannedSection[] = []
  const seenSections = new Set<string>()
  const seenKeys = new Set<string>()
  let current: ScannedSection | undefined
  let option: { entry: ScannedEntry; section: string; parts: string[] } | undefined
  let indentLevel = 0

  const finishOption = () => {
    if (option) {
      const { entry } = option
      entry.value = option.parts.join('\n').trimEnd()
      // C APIs stop at a NUL (open, getaddrinfo, getpwnam): the value would mean
      // one thing here and another there.
      if (entry.value.includes('\0')) {
        throw new ConfigError(
          'E_CONFIG_SYNTAX',
          { file, line: entry.line, section: option.section, key: entry.key },
          'the value holds a NUL byte',
        )
      }
    }
    option = undefined
  }

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const lineNo = i + 1
    const stripped = raw.trim()
    const isComment = stripped.startsWith('#') || stripped.startsWith(';')
    if (stripped === '' || isComment) {
      // configparser keeps blank lines inside a continued value (rstripped at the end) but not comments.
      if (!isComment && option) option.parts.push('')
      continue
    }
    const indent = raw.search(/\S/)
    if (option && indent > indentLevel) {
      option.parts.push(stripped)
      continue
    }
    finishOption()
    indentLevel = indent

    const header = SECTION_RE.exec(stripped)
    if (header) {
      const name = header[1]!
      const bad = BAD_NAME_CHAR.exec(name)
      if (bad) {
        throw new ConfigError(
          'E_CONFIG_SYNTAX',
          { file, line: lineNo, section: name },
          `the section name holds ${describeChar(bad[0])}`,
        )
      }
      if (name !== DEFAULT_SECTION) {
        // Strict mode: twice in one file is an error; across conf.d files sections merge.
        if (seenSections.has(name)) {
          throw new ConfigError(
            'E_CONFIG_DUPLICATE_SECTION',
            { file, line: lineNo, section: name },
            'section appears twice in this file',
          )
        }
        seenSections.add(name)
      }
      current = { name, line: lineNo, entries: [] }
      sections.push(current)
      continue
    }
    if (!current) {
      throw new ConfigError(
        'E_CONFIG_SYNTAX',
        { file, line: lineNo },
        `no [section] header before ${quoteInput(stripped, 60)}`,
      )
    }
    const m = OPTION_RE.exec(stripped)
    const key = m?.[1]?.trimEnd()
    if (!m || !key) {
      throw new ConfigError(
        'E_CONFIG_SYNTAX',
        { file, line: lineNo, section: current.name },
        `expected "key = value", found ${quoteInput(stripped, 60)}`,
      )
    }
    const badKey = BAD_NAME_CHAR.exec(key)
    if (badKey) {
      throw new ConfigError(
        'E_CONFIG_SYNTAX',
        { file, line: lineNo, section: current.name, key },
        `the key name holds ${describeChar(badKey[0])}`,
      )
    }
    const id = `${current.name}\0${key}`
    if (seenKeys.has(id)) {
      throw new ConfigError(
        'E_CONFIG_DUPLICATE_KEY',
        { file, line: lineNo, section: current.name, key },
        'key appears twice in this section of this file',
      )
    }
    seenKeys.add(id)
    const entry: ScannedEntry = { key, value: '', line: lineNo }
    current.entries.push(entry)
    option = { entry, section: current.name, parts: [m[3]!.trim()] }
  }
  finishOption()

  for (const section of sections) decodeEntries(section, file)
  return sections
}

/**
 * Runs the scanned entries of one section through `ini.decode` and keeps what
 * it returns. Each key and value is handed over JSON-quoted, the one form `ini`
 * reads back verbatim: unquoted, it would cut values at `;` or `#`, strip
 * quotes and backslashes, and read `key[]` as an array, none of which
 * configparser (hence Swift) does. What `ini` still converts (`true`, `false`,
 * `null`) is turned back into the string it was.
 */
function decodeEntries(section: ScannedSection, file: string): void {
  if (section.entries.length === 0) return
  const text = section.entries.map((e) => `${quote(e.key)} = ${quote(e.value)}`).join('\n')
  const decoded = decode(text, { bracketedArray: false })
  for (const entry of section.entries) {
    if (!Object.hasOwn(decoded, entry.key)) {
      throw new ConfigError(
        'E_CONFIG_SYNTAX',
        { file, line: entry.line, section: section.name, key: entry.key },
        'this key name is not allowed',
      )
    }
    const value: unknown = decoded[entry.key]
    entry.value = typeof value === 'string' ? value : String(value)
  }
}

function quote(s: string): string {
  // ini matches each line with `.`, which stops at U+2028/U+2029; JSON may keep them raw.
  return JSON.stringify(s)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}
