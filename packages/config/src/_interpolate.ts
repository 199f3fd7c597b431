import { quoteInput, shortInput } from '@forklift/errors'
import { ConfigError, type ConfigWhere } from './errors.js'

/** configparser's MAX_INTERPOLATION_DEPTH. */
const MAX_INTERPOLATION_DEPTH = 10
/**
 * Depth alone does not bound the work: ten levels of sixteen references each
 * ("billion laughs") make 16^10 expansions, a RangeError or a hang. Real
 * configs use a handful of references per value; these are far above that.
 */
const MAX_REFERENCES = 10_000
const MAX_LENGTH = 16 * 1024 * 1024
const REFERENCE_RE = /^%\(([^)]+)\)s/

/**
 * `%(name)s` interpolation as Swift's readconf does it (configparser's
 * BasicInterpolation behind Swift's NicerInterpolation): a value without `%(`
 * is returned untouched, so `fallocate_reserve = 1%` and `a%%b` stay as
 * written; otherwise `%%` becomes `%` and `%(name)s` is replaced by `name`
 * looked up in `lookup` (the section, then DEFAULT), recursively. Where
 * configparser would reject a `%` followed by anything else, we keep it
 * literally. A missing name or a loop is a ConfigError.
 */
export function interpolate(
  value: string,
  lookup: (name: string) => string | undefined,
  where: ConfigWhere,
): string {
  if (!value.includes('%(')) return value
  const out: Output = { pieces: [], length: 0, references: 0 }
  expand(value, lookup, where, out, 1)
  return out.pieces.join('')
}

interface Output {
  pieces: string[]
  length: number
  references: number
}

function push(out: Output, piece: string, where: ConfigWhere): void {
  out.length += piece.length
  if (out.length > MAX_LENGTH) throw tooMuch(where, `${MAX_LENGTH} characters`)
  out.pieces.push(piece)
}

function tooMuch(where: ConfigWhere, what: string): ConfigError {
  return new ConfigError(
    'E_CONFIG_INTERPOLATION',
    where,
    `interpolation expands to more than ${what} (%(...)s references that multiply?)`,
  )
}

function expand(
  rest: string,
  lookup: (name: string) => string | undefined,
  where: ConfigWhere,
  out: Output,
  depth: number,
): void {
  if (depth > MAX_INTERPOLATION_DEPTH) {
    throw new ConfigError(
      'E_CONFIG_INTERPOLATION',
      where,
      `interpolation nested deeper than ${MAX_INTERPOLATION_DEPTH} levels (a %(...)s loop?)`,
    )
  }
  while (rest) {
    const p = rest.indexOf('%')
    if (p < 0) {
      push(out, rest, where)
      return
    }
    push(out, rest.slice(0, p), where)
    rest = rest.slice(p)
    const next = rest[1]
    if (next === '%') {
      push(out, '%', where)
      rest = rest.slice(2)
    } else if (next === '(') {
      const m = REFERENCE_RE.exec(rest)
      if (!m) {
        throw new ConfigError(
          'E_CONFIG_INTERPOLATION',
          where,
          `bad interpolation reference ${quoteInput(rest, 40)} (expected %(name)s)`,
        )
      }
      const name = m[1]!
      rest = rest.slice(m[0].length)
      if (++out.references > MAX_REFERENCES) throw tooMuch(where, `${MAX_REFERENCES} references`)
      const v = lookup(name)
      if (v === undefined) {
        throw new ConfigError(
          'E_CONFIG_INTERPOLATION',
          where,
          `%(${shortInput(name)})s refers to a key that is not set in this section or [DEFAULT]`,
        )
      }
      if (v.includes('%')) expand(v, lookup, where, out, depth + 1)
      else push(out, v, where)
    } else {
      push(out, '%', where)
      rest = rest.slice(1)
    }
  }
}
