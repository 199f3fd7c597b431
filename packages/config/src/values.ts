import { availableParallelism } from 'node:os'
import { quoteInput } from '@forklift/errors'
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

/**
 * Swift's config_auto_int_value: unset or `auto` (any case) → `auto`;
 * otherwise an integer, within `range` when given.
 */
export function configAutoIntValue(
  v: string | undefined,
  auto: number,
  where: ConfigWhere = {},
  range: NumberRange = {},
): number {
  if (v === undefined || v.trim().toLowerCase() === 'auto') return auto
  const s = v.trim()
  if (!INT_RE.test(s)) {
    throw new ConfigError(
      'E_CONFIG_VALUE',
      where,
      `must be an integer or "auto", not ${quoteInput(v)}`,
    )
  }
  const n = Number(s.replaceAll('_', ''))
  if (!Number.isSafeInteger(n)) {
    throw new ConfigError('E_CONFIG_VALUE', where, `integer out of range: ${quoteInput(v)}`)
  }
  return checkRange(n, v, where, range)
}

/**
 * The most worker processes `workers` may ask for. Swift has no limit; here a
 * typo (`workers = 100000000`) fails --test-config instead of forking until
 * the host runs out of memory or pids. Each worker is a whole Node process
 * (40 MB or more): 1024 of them is already beyond any host's memory and an
 * eighth of the 8192 processes swift-init allows the service user for all
 * its servers. A fixed number, not a multiple of the CPU count, so that a
 * config checked on one host is judged the same on every other.
 */
export const MAX_WORKERS = 1024

/**
 * Swift's `workers`: unset or `auto` → the CPU count (`cpus`, default
 * availableParallelism()); otherwise an integer from 0 (serve in the main
 * process) to MAX_WORKERS.
 */
export function configWorkersValue(
  v: string | undefined,
  where: ConfigWhere = {},
  cpus: number = availableParallelism(),
): number {
  return configAutoIntValue(v, Math.min(cpus, MAX_WORKERS), where, { min: 0, max: MAX_WORKERS })
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
    throw new ConfigError(
      'E_CONFIG_VALUE',
      where,
      `must be an integer, not ${quoteInput(String(v))}`,
    )
  }
  const n = Number(s.replaceAll('_', ''))
  if (!Number.isSafeInteger(n)) {
    throw new ConfigError('E_CONFIG_VALUE', where, `integer out of range: ${quoteInput(String(v))}`)
  }
  return checkRange(n, v, where, range)
}

/** Swift's config_positive_int_value: an integer greater than 0. */
export function configPositiveIntValue(v: string | number | undefined, where: ConfigWhere = {}) {
  return configIntValue(v, where, { min: 1 })
}

/**
 * A number option (Python float syntax; `inf`, `nan` and values too large for
 * a double, like `1e400`, are refused); ranges as configIntValue.
 */
export function configFloatValue(
  v: string | number | undefined,
  where: ConfigWhere = {},
  range: NumberRange = {},
): number {
  if (v === undefined) throw missing(where)
  const s = String(v).trim()
  if (!FLOAT_RE.test(s)) {
    throw new ConfigError('E_CONFIG_VALUE', where, `must be a number, not ${quoteInput(String(v))}`)
  }
  const n = Number(s.replaceAll('_', ''))
  if (!Number.isFinite(n)) {
    throw new ConfigError('E_CONFIG_VALUE', where, `number out of range: ${quoteInput(String(v))}`)
  }
  return checkRange(n, v, where, range)
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
    throw new ConfigError(
      'E_CONFIG_VALUE',
      where,
      `must be ${bounds}, not ${quoteInput(String(v))}`,
    )
  }
  return n
}

function missing(where: ConfigWhere): ConfigError {
  return new ConfigError('E_CONFIG_MISSING_KEY', where, 'required option is not set')
}
