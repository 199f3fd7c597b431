import { ConfigError, type ConfigWhere } from './errors.js'

/** Swift's TRUE_VALUES. */
export const TRUE_VALUES: ReadonlySet<string> = new Set(['true', '1', 'yes', 'on', 't', 'y'])
/** Swift's FALSE_VALUES. */
export const FALSE_VALUES: ReadonlySet<string> = new Set(['false', '0', 'no', 'off', 'f', 'n'])

/** Swift's config_true_value: true for `true`/`1`/`yes`/`on`/`t`/`y` in any case (or `true` itself). */
export function configTrueValue(v: string | boolean | undefined): boolean {
  return v === true || (typeof v === 'string' && TRUE_VALUES.has(v.toLowerCase()))
}

/** Swift's config_false_value: true for `false`/`0`/`no`/`off`/`f`/`n` in any case (or `false` itself). */
export function configFalseValue(v: string | boolean | undefined): boolean {
  return v === false || (typeof v === 'string' && FALSE_VALUES.has(v.toLowerCase()))
}

export interface NumberRange {
  /** Smallest allowed value (inclusive). */
  min?: number
  /** Largest allowed value (inclusive). */
  max?: number
}

// Python's int() accepts surrounding blanks, a sign and `_` between digits.
const INT_RE = /^[+-]?\d+(?:_\d+)*$/
const FLOAT_RE = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+)?$/

/** Swift's config_auto_int_value: unset or `auto` (any case) → `auto`; otherwise an integer. */
export function configAutoIntValue(
  v: string | undefined,
  auto: number,
  where: ConfigWhere = {},
): number {
  if (v === undefined || v.trim().toLowerCase() === 'auto') return auto
  const s = v.trim()
  if (!INT_RE.test(s)) {
    throw new ConfigError(
      'E_CONFIG_VALUE',
      where,
      `must be an integer or "auto", not ${JSON.stringify(v)}`,
    )
  }
  return Number(s.replaceAll('_', ''))
}

/** An integer option; unset → E_CONFIG_MISSING_KEY, not an integer or out of range → E_CONFIG_VALUE. */
export function configIntValue(
  v: string | number | undefined,
  where: ConfigWhere = {},
  range: NumberRange = {},
): number {
  if (v === undefined) throw missing(where)
  const s = String(v).trim()
  if (!INT_RE.test(s)) {
    throw new ConfigError('E_CONFIG_VALUE', where, `must be an integer, not ${JSON.stringify(v)}`)
  }
  const n = Number(s.replaceAll('_', ''))
  if (!Number.isSafeInteger(n)) {
    throw new ConfigError('E_CONFIG_VALUE', where, `integer out of range: ${JSON.stringify(v)}`)
  }
  return checkRange(n, v, where, range)
}

/** Swift's config_positive_int_value: an integer greater than 0. */
export function configPositiveIntValue(v: string | number | undefined, where: ConfigWhere = {}) {
  return configIntValue(v, where, { min: 1 })
}

/** A number option (Python float syntax, plus `inf`/`nan` are refused); ranges as configIntValue. */
export function configFloatValue(
  v: string | number | undefined,
  where: ConfigWhere = {},
  range: NumberRange = {},
): number {
  if (v === undefined) throw missing(where)
  const s = String(v).trim()
  if (!FLOAT_RE.test(s)) {
    throw new ConfigError('E_CONFIG_VALUE', where, `must be a number, not ${JSON.stringify(v)}`)
  }
  return checkRange(Number(s.replaceAll('_', '')), v, where, range)
}

/** Swift's list_from_csv: split on commas, trim, drop empty items; unset → []. */
export function listFromCsv(v: string | undefined): string[] {
  if (!v) return []
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** A required option's value; unset → E_CONFIG_MISSING_KEY naming file, section and key. */
export function configRequired(
  conf: Record<string, string>,
  key: string,
  where: ConfigWhere = {},
): string {
  const v = Object.hasOwn(conf, key) ? conf[key] : undefined
  if (v === undefined) throw missing({ ...where, key })
  return v
}

function checkRange(n: number, v: string | number, where: ConfigWhere, range: NumberRange) {
  if ((range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max)) {
    const bounds =
      range.max === undefined
        ? `at least ${range.min}`
        : range.min === undefined
          ? `at most ${range.max}`
          : `between ${range.min} and ${range.max}`
    throw new ConfigError('E_CONFIG_VALUE', where, `must be ${bounds}, not ${JSON.stringify(v)}`)
  }
  return n
}

function missing(where: ConfigWhere): ConfigError {
  return new ConfigError('E_CONFIG_MISSING_KEY', where, 'required option is not set')
}
