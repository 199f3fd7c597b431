import { ForkliftError, formatError, isForkliftError } from '@forklift/errors'

class SmokeError extends ForkliftError<'E_SMOKE'> {
  override name = 'SmokeError'
}
const err = new SmokeError('E_SMOKE', 'outer', { cause: new Error('inner') })
if (!isForkliftError(err) || err.code !== 'E_SMOKE' || formatError(err) !== 'outer: inner') {
  throw new Error(`unexpected ${formatError(err)}`)
}
console.log('ok @forklift/errors')
