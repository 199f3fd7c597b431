/**
 * The base of every forklift error: a stable machine-readable `code`, a `name`
 * per domain, and an optional `cause`. Packages subclass it with their own
 * union of codes so callers can `switch (err.code)` without string-matching
 * messages.
 */
export class ForkliftError<Code extends string = string> extends Error {
  override name = 'ForkliftError'
  readonly code: Code

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/**
 * True for any forklift error, whichever package threw it (also across module
 * copies: a brand, not `instanceof`). With `name`, only for errors of that
 * class (`'ConfigError'`): what each package's `is*Error` guard calls.
 */
export function isForkliftError(value: unknown, name?: string): value is ForkliftError {
  const branded =
    value instanceof ForkliftError ||
    (value instanceof Error &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (value as { [FORKLIFT_BRAND]?: unknown })[FORKLIFT_BRAND] === true)
  return branded && (name === undefined || (value as Error).name === name)
}

const FORKLIFT_BRAND = Symbol.for('forklift.error')
Object.defineProperty(ForkliftError.prototype, FORKLIFT_BRAND, { value: true })

/**
 * The longest line formatError returns. A config value, a path or a cause can
 * be any length (a 7 MB value once made a 7 MB error line); past this the
 * line is cut and says how long it was.
 */
export const MAX_ERROR_LINE = 1000

/** The most characters of one echoed input (a value, a key, a user name) that messages show. */
export const MAX_ECHOED_INPUT = 80

// What a terminal or a log viewer would act on or hide: controls (C0, DEL, C1),
// line and paragraph separators, invisible format characters (bidi overrides,
// zero-width spaces, BOM), lone surrogates. Each is shown as an escape instead.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'gu')

const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function escapeChar(c: string): string {
  const short = SHORT_ESCAPES[c]
  if (short) return short
  const cp = c.codePointAt(0)!
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`
}

/**
 * `s` with every control, separator or invisible format character written as
 * an escape (`\n`, `\t`, `\u001b`, `\u202e`), so that it prints as one line
 * that shows what it holds.
 */
export function printable(s: string): string {
  return UNPRINTABLE.test(s) ? s.replace(UNPRINTABLE_ALL, escapeChar) : s
}

/** At most `max` UTF-16 units of `s`, never ending inside a surrogate pair. */
function head(s: string, max: number): string {
  if (s.length <= max) return s
  const cut = s.slice(0, max)
  const last = cut.charCodeAt(cut.length - 1)
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut
}

/**
 * Input echoed in a message: double-quoted with JSON escapes (and the
 * escapes of printable), cut after `max` characters with its full length, e.g.
 * `"xxxxxxxx…" (7000000 characters)`.
 */
export function quoteInput(s: string, max = MAX_ECHOED_INPUT): string {
  const shown = head(s, max)
  const quoted = printable(JSON.stringify(shown))
  if (shown.length === s.length) return quoted
  return `${quoted.slice(0, -1)}…" (${s.length} characters)`
}

/** A name from input (a section, a key) shown unquoted: printable, cut after `max` characters with `…`. */
export function shortInput(s: string, max = MAX_ECHOED_INPUT): string {
  const shown = head(s, max)
  return shown.length === s.length ? printable(s) : `${printable(shown)}…`
}

/** Where an error comes from in a config: any subset of file, line, section and key. */
export interface ErrorWhere {
  file?: string | undefined
  section?: string | undefined
  key?: string | undefined
  line?: number | undefined
}

/**
 * `file:line [section] key`, leaving out the parts that are unknown; each
 * part printable, section and key names cut as shortInput cuts them.
 */
export function describeWhere(where: ErrorWhere): string {
  const parts: string[] = []
  if (where.file !== undefined) {
    const file = printable(where.file)
    parts.push(where.line !== undefined ? `${file}:${where.line}` : file)
  } else if (where.line !== undefined) {
    parts.push(`line ${where.line}`)
  }
  if (where.section !== undefined) parts.push(`[${shortInput(where.section)}]`)
  if (where.key !== undefined) parts.push(shortInput(where.key))
  return parts.join(' ')
}

/** `problem` prefixed with `describeWhere(where)` and `: ` when anything is known. */
export function locate(where: ErrorWhere | undefined, problem: string): string {
  const prefix = where ? describeWhere(where) : ''
  return prefix ? `${prefix}: ${problem}` : problem
}

/**
 * The one line operators see: the message, then each cause's message (up to
 * three, each left out when the line already says it), joined with `: `;
 * control characters escaped as printable does, and at most `max` characters
 * (cut with a note of the full length).
 */
export function formatError(err: unknown, max = MAX_ERROR_LINE): string {
  if (!(err instanceof Error)) return oneLine(String(err), max)
  const parts = [err.message || err.name]
  let cause = err.cause
  while (cause instanceof Error && parts.length < 4) {
    // A message that quoted its cause through formatError holds it escaped.
    const last = parts[parts.length - 1]!
    if (!last.includes(cause.message) && !last.includes(printable(cause.message))) {
      parts.push(cause.message)
    }
    cause = cause.cause
  }
  return oneLine(parts.join(': '), max)
}

/** `text` as printable, cut to at most `max` characters (an escape is never split). */
export function oneLine(text: string, max = MAX_ERROR_LINE): string {
  if (text.length <= max && !UNPRINTABLE.test(text)) return text
  // Escaping only lengthens: `max` units of input are all that can show.
  const pieces: string[] = []
  let length = 0
  for (const c of head(text, max)) {
    const shown = UNPRINTABLE.test(c) ? escapeChar(c) : c
    pieces.push(shown)
    length += shown.length
  }
  if (text.length <= max && length <= max) return pieces.join('')
  const note = ` … (${text.length} characters)`
  let out = ''
  for (const shown of pieces) {
    if (out.length + shown.length > max - note.length) break
    out += shown
  }
  return out.trimEnd() + note
}
