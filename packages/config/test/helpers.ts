import { expect } from 'vitest'
import { ConfigError } from '../src/index.js'

/** Strips the common leading indentation of a template literal, so test configs read naturally. */
export function ini(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n')
  const indents = lines.filter((l) => l.trim()).map((l) => l.search(/\S/))
  const cut = Math.min(...indents)
  return lines.map((l) => l.slice(cut)).join('\n')
}

/** The ConfigError `fn` throws (failing the test when it throws none, or another error), checked to be one line. */
export function errorOf(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).not.toMatch(/[\n\r]/)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}
