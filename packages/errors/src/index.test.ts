import { describe, expect, it } from 'vitest'
import { ForkliftError, formatError, isForkliftError } from './index.js'

class PidError extends ForkliftError<'E_STALE' | 'E_FOREIGN'> {
  override name = 'PidError'
}

describe('ForkliftError', () => {
  it('carries a stable code, a name and a cause', () => {
    const cause = new Error('ENOENT: no such file')
    const err = new PidError('E_STALE', 'pid file is stale', { cause })
    expect(err.code).toBe('E_STALE')
    expect(err.name).toBe('PidError')
    expect(err.cause).toBe(cause)
    expect(isForkliftError(err)).toBe(true)
    expect(isForkliftError(new Error('plain'))).toBe(false)
    expect(isForkliftError({ code: 'E_STALE' })).toBe(false)
  })

  it('formats a chain of causes on one line without repeating them', () => {
    const inner = new Error('EACCES: permission denied')
    const err = new PidError('E_FOREIGN', 'cannot read /run/x.pid', { cause: inner })
    expect(formatError(err)).toBe('cannot read /run/x.pid: EACCES: permission denied')
    expect(formatError('text')).toBe('text')
  })
})
