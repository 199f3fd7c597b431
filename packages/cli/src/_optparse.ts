// Python optparse's command-line syntax, messages and help layout, for
// commands that reproduce a Python program (swift-init): options are read
// left to right, long options may be abbreviated, `-h` acts when it is
// reached, errors are optparse's words.

import { wrap } from './_textwrap.js'
import type { Command, OptionSpec, OptionSpecs, OptionValues } from './command.js'
import { UsageError } from './errors.js'

const HELP: OptionSpec = {
  type: 'boolean',
  short: 'h',
  description: 'show this help message and exit',
}
const VERSION: OptionSpec = {
  type: 'boolean',
  description: "show program's version number and exit",
  extra: true,
}

interface Entry {
  long: string
  spec: OptionSpec
  builtin?: 'help' | 'version'
}

function entries(command: Command<OptionSpecs>): Entry[] {
  const list: Entry[] = [{ long: 'help', spec: HELP, builtin: 'help' }]
  for (const [long, spec] of Object.entries(command.options)) list.push({ long, spec })
  if (command.version !== undefined)
    list.push({ long: 'version', spec: VERSION, builtin: 'version' })
  return list
}

/** What parsing asked for: run the command, or print the help or the version. */
export type ParseOutcome<O extends OptionSpecs> =
  | { action: 'run'; values: OptionValues<O>; positionals: string[] }
  | { action: 'help' | 'version' }

/** Python's repr() of a str, as optparse quotes a bad value. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = ''
  for (const c of s) {
    const code = c.codePointAt(0)!
    if (c === '\\') out += '\\\\'
    else if (c === quote) out += `\\${c}`
    else if (c === '\n') out += '\\n'
    else if (c === '\r') out += '\\r'
    else if (c === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else if (code >= 0x80 && code < 0xa0) out += `\\x${code.toString(16)}`
    else out += c
  }
  return `${quote}${out}${quote}`
}

/** Python's int(text, base): surrounding whitespace, a sign, a base prefix, `_` between digits. */
function pyInt(text: string, base: number): number | undefined {
  let s = text.trim()
  let sign = 1
  if (s.startsWith('+') || s.startsWith('-')) {
    sign = s.startsWith('-') ? -1 : 1
    s = s.slice(1)
  }
  const prefix = { 16: /^0x_?/i, 8: /^0o_?/i, 2: /^0b_?/i }[base as 16 | 8 | 2]
  if (prefix?.test(s)) s = s.replace(prefix, '')
  const digit = base <= 10 ? `[0-${base - 1}]` : `[0-9a-${String.fromCharCode(86 + base)}]`
  if (!new RegExp(`^${digit}+(?:_${digit}+)*$`, 'i').test(s)) return undefined
  return sign * Number.parseInt(s.replaceAll('_', ''), base)
}

/** An optparse `int` option's value: 0x… hex, 0b… binary, 0… octal, else decimal. */
export function parseOptparseInt(value: string): number | undefined {
  const head = value.slice(0, 2).toLowerCase()
  if (head === '0x') return pyInt(value, 16)
  if (head === '0b') return pyInt(value.slice(2) || '0', 2)
  if (value.startsWith('0')) return pyInt(value, 8)
  return pyInt(value, 10)
}

/** Parses `argv` the way optparse does; throws UsageError with optparse's message. */
export function parseOptparse<O extends OptionSpecs>(
  command: Command<O>,
  argv: readonly string[],
): ParseOutcome<O> {
  const list = entries(command as Command<OptionSpecs>)
  const values: Record<string, unknown> = {}
  for (const { long, spec, builtin } of list) {
    if (!builtin && spec.default !== undefined) values[long] = spec.default
  }
  const byShort = new Map(list.filter((e) => e.spec.short).map((e) => [`-${e.spec.short}`, e]))
  const byLong = new Map(list.map((e) => [`--${e.long}`, e]))

  const matchLong = (opt: string): Entry => {
    const exact = byLong.get(opt)
    if (exact) return exact
    // Options the reproduced program lacks are matched only in full, so they
    // never make an abbreviation of its own options ambiguous.
    const candidates = [...byLong.keys()]
      .filter((name) => name.startsWith(opt) && !byLong.get(name)!.spec.extra)
      .sort()
    if (candidates.length === 1) return byLong.get(candidates[0]!)!
    if (candidates.length === 0) throw new UsageError(`no such option: ${opt}`)
    throw new UsageError(`ambiguous option: ${opt} (${candidates.join(', ')}?)`)
  }

  // Returns an action that ends parsing (help, version), else undefined.
  const apply = (entry: Entry, opt: string, value: string | undefined) => {
    if (entry.builtin) return entry.builtin
    const { spec, long } = entry
    let v: unknown = true
    if (spec.type === 'integer') {
      v = parseOptparseInt(value!)
      if (v === undefined) {
        throw new UsageError(`option ${opt}: invalid integer value: ${pyRepr(value!)}`)
      }
    } else if (spec.type === 'string') {
      v = value
    }
    if (spec.negates) values[spec.negates] = false
    else if (spec.multiple) values[long] = [...((values[long] as unknown[] | undefined) ?? []), v]
    else values[long] = v
    return undefined
  }
  const takesValue = (e: Entry) => !e.builtin && e.spec.type !== 'boolean'
  const missing = (opt: string) => new UsageError(`${opt} option requires 1 argument`)

  const rest = [...argv]
  const positionals: string[] = []
  while (rest.length) {
    const arg = rest.shift()!
    if (arg === '--') {
      positionals.push(...rest)
      break
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const entry = matchLong(eq === -1 ? arg : arg.slice(0, eq))
      const opt = `--${entry.long}`
      let value: string | undefined
      if (takesValue(entry)) {
        if (eq !== -1) value = arg.slice(eq + 1)
        else if (rest.length) value = rest.shift()
        else throw missing(opt)
      } else if (eq !== -1) {
        throw new UsageError(`${opt} option does not take a value`)
      }
      const action = apply(entry, opt, value)
      if (action) return { action }
    } else if (arg.startsWith('-') && arg.length > 1) {
      for (let i = 1; i < arg.length; i++) {
        const opt = `-${arg[i]}`
        const entry = byShort.get(opt)
        if (!entry) throw new UsageError(`no such option: ${opt}`)
        let value: string | undefined
        let last = false
        if (takesValue(entry)) {
          // The rest of the word is the value (`-c2`), else the next argument.
          if (i + 1 < arg.length) value = arg.slice(i + 1)
          else if (rest.length) value = rest.shift()
          else throw missing(opt)
          last = true
        }
        const action = apply(entry, opt, value)
        if (action) return { action }
        if (last) break
      }
    } else {
      positionals.push(arg)
    }
  }
  return { action: 'run', values: values as OptionValues<O>, positionals }
}

function optionStrings(e: Entry): string {
  const metavar = e.spec.valueName ?? e.long.toUpperCase().replaceAll('-', '_')
  const value = e.builtin === undefined && e.spec.type !== 'boolean'
  const parts: string[] = []
  if (e.spec.short) parts.push(`-${e.spec.short}${value ? ` ${metavar}` : ''}`)
  parts.push(`--${e.long}${value ? `=${metavar}` : ''}`)
  return parts.join(', ')
}

/**
 * The help as optparse lays it out: `Usage: <usage>`, the description, then
 * `Options:` in two columns (help wrapped at `COLUMNS` - 2, default 78).
 * With `extras: false`, only what the reproduced program itself prints.
 */
export function formatOptparseHelp<O extends OptionSpecs>(
  command: Command<O>,
  options: { extras?: boolean; env?: NodeJS.ProcessEnv } = {},
): string {
  const extras = options.extras ?? true
  const columns = Number.parseInt(options.env?.COLUMNS ?? '', 10)
  const width = (Number.isNaN(columns) ? 80 : columns) - 2
  const shown = entries(command as Command<OptionSpecs>).filter(
    (e) => !e.spec.hidden && (extras || !e.spec.extra),
  )
  const indent = 2
  const longest = Math.max(...shown.map((e) => optionStrings(e).length + indent))
  const helpAt = Math.min(longest + 2, 24)
  const helpWidth = Math.max(width - helpAt, 11)
  const out = [`Usage: ${command.usage}\n`, '\n']
  if (command.description) out.push(`${wrap(command.description, width).join('\n')}\n`, '\n')
  out.push('Options:\n')
  for (const e of shown) {
    const opts = optionStrings(e)
    const optWidth = helpAt - indent - 2
    let first = 0
    if (opts.length > optWidth) {
      out.push(`${' '.repeat(indent)}${opts}\n`)
      first = helpAt
    } else {
      out.push(`${' '.repeat(indent)}${opts.padEnd(optWidth)}  `)
    }
    const lines = wrap(e.spec.description, helpWidth)
    if (lines.length === 0) {
      if (first === 0) out.push('\n')
      continue
    }
    out.push(`${' '.repeat(first)}${lines[0]}\n`)
    for (const line of lines.slice(1)) out.push(`${' '.repeat(helpAt)}${line}\n`)
  }
  if (extras) {
    for (const section of command.sections ?? []) {
      out.push(`\n${section.title}:\n${section.body.trimEnd()}\n`)
    }
    if (command.examples?.length) {
      out.push(`\nExamples:\n${command.examples.map((x) => `  ${x}\n`).join('')}`)
    }
  }
  return out.join('')
}

/** What optparse prints on a usage error: the usage, a blank line, `<prog>: error: <message>`. */
export function formatOptparseError<O extends OptionSpecs>(
  command: Command<O>,
  message: string,
): string {
  return `Usage: ${command.usage}\n\n${command.name}: error: ${message}\n`
}
