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

/** True for any forklift error, whichever package threw it (also across module copies). */
export function isForkliftError(value: unknown): value is ForkliftError {
  return (
    value instanceof ForkliftError ||
    (value instanceof Error &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (value as { [FORKLIFT_BRAND]?: unknown })[FORKLIFT_BRAND] === true)
  )
}

const FORKLIFT_BRAND = Symbol.for('forklift.error')
Object.defineProperty(ForkliftError.prototype, FORKLIFT_BRAND, { value: true })

/** The one-line form operators see: the message, then each cause's message. */
export function formatError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const parts = [err.message]
  let cause = err.cause
  while (cause instanceof Error && parts.length < 4) {
    if (!parts[parts.length - 1]?.includes(cause.message)) parts.push(cause.message)
    cause = cause.cause
  }
  return parts.join(': ')
}
