import { tempFiles } from '@forklift/test-utils'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, loadPasteApp } from '../src/index.js'

// Lines built from the pieces that matter to the grammar, so the generator
// reaches headers, delimiters, continuations, comments and interpolation often.
const piece = fc.constantFrom(
  '[',
  ']',
  '[DEFAULT]',
  '[app:main]',
  '[pipeline:main]',
  'pipeline = a main',
  'use = ./x.mjs#app',
  'use = a',
  '=',
  ':',
  ' ',
  '  ',
  '\t',
  '#',
  ';',
  '%',
  '%(',
  ')s',
  '%(a)s',
  '%%',
  'a',
  'key',
  'true',
  'null',
  '__proto__',
  '"',
  "'",
  '\\',
  '\u2028',
  '\ufeff',
)
const line = fc.oneof(
  fc.array(piece, { maxLength: 6 }).map((p) => p.join('')),
  fc.string(),
)
const text = fc.oneof(
  fc.array(line, { maxLength: 12 }).map((l) => l.join('\n')),
  fc.string({ unit: 'binary', maxLength: 200 }),
)

describe('property: arbitrary text', () => {
  it('either loads (and every section interpolates) or throws ConfigError, never anything else', () => {
    const { write } = tempFiles()
    fc.assert(
      fc.property(text, (t) => {
        const file = write('p.conf', t)
        try {
          const config = loadConfig(file)
          config.validate()
          for (const name of config.sectionNames()) {
            for (const [k, v] of Object.entries(config.section(name))) {
              expect(typeof k).toBe('string')
              expect(typeof v).toBe('string')
            }
          }
          loadPasteApp(config)
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err
          expect(err.message).not.toContain('\n')
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('reads back any key and value written as `key = value`, trimmed, as a string', () => {
    const { write } = tempFiles()
    const keyArb = fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((k) => !/[=:\r\n]/.test(k) && k.trim() !== '' && k.trim() !== '__proto__')
      .map((k) => k.trim())
      .filter((k) => !k.startsWith('#') && !k.startsWith(';') && !k.startsWith('['))
    // Values with `%(` interpolate: the first property covers them.
    const valueArb = fc.string({ maxLength: 40 }).filter((v) => !/[\r\n]|%\(/.test(v))
    fc.assert(
      fc.property(keyArb, valueArb, (key, value) => {
        const file = write('kv.conf', `[s]\n${key} = ${value}\n`)
        expect(loadConfig(file).get('s', key)).toBe(value.trim())
      }),
      { numRuns: 1000 },
    )
  })
})
