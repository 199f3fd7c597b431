import { printable } from '@forklift/errors'
import { LEVEL_VALUES, RECORD_LEVELS, type RecordLevel } from './levels.js'

/**
 * One log record: the line format of forklift, defined here and nowhere
 * else. As JSON it is one line with the keys in this order — `level` (a
 * label), `time` (ISO 8601, UTC, milliseconds), `server` (the server or
 * daemon name, Swift's log_name), `pid`, `hostname`, then the logger's
 * bindings (`worker`, `generation`, `service`...), then the call's own
 * fields, then `msg`. Errors in fields are written as `{type, message,
 * stack, code, ...}`.
 */
export interface LogRecord {
  level: RecordLevel
  time: string
  server: string
  pid: number
  hostname: string
  msg: string
  [field: string]: unknown
}

/** The keys every record has; the rest are bindings and fields. */
export const RECORD_KEYS: ReadonlySet<string> = new Set([
  'level',
  'time',
  'server',
  'pid',
  'hostname',
  'msg',
])

const MAX_CAUSE_DEPTH = 4

/** An Error as a plain object for JSON: its type, message, stack, code and other own enumerable properties. */
export function serializeError(err: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack }
  for (const [k, v] of Object.entries(err)) {
    if (k in out) continue
    out[k] = v
  }
  if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    out.cause = err.cause instanceof Error ? serializeError(err.cause, depth + 1) : err.cause
  }
  return out
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Error) return serializeError(value)
  return value
}

/** JSON text of any value, errors serialized, bigints as strings; never throws: cycles become "[Circular]". */
export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, replacer) ?? 'null'
  } catch {
    const seen = new WeakSet<object>()
    return (
      JSON.stringify(value, (key, v) => {
        const out = replacer(key, v)
        if (typeof out === 'object' && out !== null) {
          if (seen.has(out)) return '[Circular]'
          seen.add(out)
        }
        return out
      }) ?? 'null'
    )
  }
}

/**
 * Renders a record as one JSON line (no newline). Never throws. Errors and
 * bigints among the fields are serialized; a record without any takes
 * JSON.stringify's fast path (a replacer function doubles its cost), where
 * an Error nested deeper than a field renders as its own properties, as in
 * pino.
 */
export function formatJson(record: LogRecord): string {
  for (const key in record) {
    const v = record[key]
    if (typeof v === 'bigint' || v instanceof Error) return safeStringify(record)
  }
  try {
    return JSON.stringify(record)
  } catch {
    return safeStringify(record)
  }
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n))

/**
 * `Date.prototype.toISOString()`'s text for `ms` (years 0–9999), built from
 * the UTC getters: V8's toISOString initialises date formatting that costs a
 * process about 8 MiB, and every worker logs.
 */
export function isoTime(ms: number): string {
  const d = new Date(ms)
  const millis = d.getUTCMilliseconds()
  return (
    `${String(d.getUTCFullYear()).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}` +
    `T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.` +
    `${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`
  )
}

let lastMs = -1
let lastIso = ''

/** {@link isoTime} of now, computed once per millisecond: a busy server logs many lines in one. */
export function isoNow(): string {
  const now = Date.now()
  if (now !== lastMs) {
    lastMs = now
    lastIso = isoTime(now)
  }
  return lastIso
}

// pino's numeric levels, so the lines of a consumer's own pino logger in a
// worker keep their level when the parent relays them.
const LEVEL_BY_NUMBER = new Map<number, RecordLevel>(
  RECORD_LEVELS.map((l) => [LEVEL_VALUES[l], l] as const),
)

function recordLevel(value: unknown): RecordLevel | undefined {
  if (typeof value === 'number') return LEVEL_BY_NUMBER.get(value)
  return typeof value === 'string' && Object.hasOwn(LEVEL_VALUES, value)
    ? (value as RecordLevel)
    : undefined
}

/**
 * The record a JSON line holds — one of ours, or a pino line (numeric level,
 * epoch-ms time) — or undefined for anything else. Missing `server`, `pid`,
 * `hostname` or `time` are left out, for the caller to fill in.
 */
export function parseRecordLine(line: string): Partial<LogRecord> | undefined {
  const text = line.trim()
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined
  const raw = obj as Record<string, unknown>
  const level = recordLevel(raw.level)
  if (level === undefined) return undefined
  const out: Partial<LogRecord> = { ...raw, level }
  if (typeof raw.msg !== 'string') out.msg = raw.msg === undefined ? '' : String(raw.msg)
  if (typeof raw.time === 'number') out.time = isoTime(raw.time)
  else if (typeof raw.time !== 'string') delete out.time
  if (typeof raw.pid !== 'number') delete out.pid
  if (typeof raw.server !== 'string') {
    delete out.server
    // pino's `name` is our `server`
    if (typeof raw.name === 'string') {
      out.server = raw.name
      delete out.name
    }
  }
  if (typeof raw.hostname !== 'string') delete out.hostname
  return out
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const BARE = /^[^\s"=\\\u0000-\u001f\u007f-\u009f]+$/

function isSerializedError(v: unknown): v is { type?: unknown; message: unknown; stack?: unknown } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { message?: unknown }).message === 'string' &&
    ('stack' in v || 'type' in v)
  )
}

/** `"text"` with quotes and backslashes escaped and unprintable characters written as escapes. */
function quote(text: string): string {
  return `"${printable(text.replace(/["\\]/g, '\\$&'))}"`
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') {
    return value !== '' && BARE.test(value) && printable(value) === value ? value : quote(value)
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return String(value)
  if (value === undefined) return 'undefined'
  return printable(safeStringify(value))
}

/** The lines of a stack after its `Type: message` head, each escaped. */
function stackFrames(err: { type?: unknown; message: unknown; stack?: unknown }): string[] {
  if (typeof err.stack !== 'string') return []
  const head = `${typeof err.type === 'string' ? err.type : 'Error'}: ${String(err.message)}`
  const rest = err.stack.startsWith(head) ? err.stack.slice(head.length) : err.stack
  return rest
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => printable(l))
}

/** How {@link formatText} renders a record. */
export interface TextFormatOptions {
  /** ANSI colours for the level and a dim time (a terminal). Default false. */
  color?: boolean
  /** Lead with the time, level and `server[pid]:`. Default true; syslog takes the message only. */
  header?: boolean
  /** Stack frames of errors, indented on the lines after the record. Default true. */
  stacks?: boolean
}

const COLORS: Readonly<Record<RecordLevel, string>> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[1;31m',
}
const RESET = '\x1b[0m'
const DIM = '\x1b[2m'

const pad2 = (n: number) => String(n).padStart(2, '0')

/** `YYYY-MM-DD HH:MM:SS.mmm` in local time: what a person at the terminal reads. */
export function localTime(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return printable(iso)
  return (
    `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.` +
    String(d.getMilliseconds()).padStart(3, '0')
  )
}

/**
 * Renders a record for a person: `2026-05-01 10:11:12.345 INFO  object-server[4242]: listening worker=1 port=6200`.
 * Bindings and fields follow the message as `key=value` (strings with spaces
 * quoted); errors as `err="Type: message"` with their stack frames indented on
 * the following lines. Control, separator and invisible characters in any
 * text (a client's path) are written as escapes (errors' `printable`). The hostname is left out: the terminal is on the host, and syslog
 * adds its own.
 */
export function formatText(record: LogRecord, options: TextFormatOptions = {}): string {
  const { color = false, header = true, stacks = true } = options
  let out = ''
  if (header) {
    const time = localTime(record.time)
    const level = record.level.toUpperCase().padEnd(5)
    const origin = `${printable(String(record.server))}[${record.pid}]:`
    out = color
      ? `${DIM}${time}${RESET} ${COLORS[record.level]}${level}${RESET} ${origin} `
      : `${time} ${level} ${origin} `
  }
  out += printable(record.msg)
  const frames: string[] = []
  for (const key of Object.keys(record)) {
    if (RECORD_KEYS.has(key)) continue
    let value: unknown = record[key]
    if (value instanceof Error) value = serializeError(value)
    if (isSerializedError(value)) {
      const type = typeof value.type === 'string' ? value.type : 'Error'
      const code = (value as { code?: unknown }).code
      const suffix = code !== undefined ? ` [${String(code)}]` : ''
      out += ` ${printable(key)}=${quote(`${type}: ${String(value.message)}${suffix}`)}`
      if (stacks) frames.push(...stackFrames(value))
      continue
    }
    out += ` ${printable(key)}=${renderValue(value)}`
  }
  for (const f of frames) out += `\n    ${f}`
  return out
}

/** A record of our own about `like`'s process (a destination's warning): same origin, no fields. */
export function noteRecord(like: LogRecord, level: RecordLevel, msg: string): LogRecord {
  return {
    level,
    time: isoNow(),
    server: like.server,
    pid: like.pid,
    hostname: like.hostname,
    msg,
  }
}
