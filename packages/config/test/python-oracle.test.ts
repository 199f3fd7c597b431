import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempFiles } from '@forklift/test-utils'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/index.js'

// Python's configparser, strict, keys case-preserved, with Swift's NicerInterpolation:
// the reference this package claims to follow. Reads a JSON list of file paths and
// prints, per file, either {"error": kind} or {"sections": {name: items}}.
const ORACLE = `
import configparser, json, sys

class NicerInterpolation(configparser.BasicInterpolation):
    def before_get(self, parser, section, option, value, defaults):
        if '%(' not in value:
            return value
        return super().before_get(parser, section, option, value, defaults)

out = []
for path in json.load(sys.stdin):
    c = configparser.ConfigParser(interpolation=NicerInterpolation())
    c.optionxform = str
    try:
        with open(path, encoding='utf-8', newline=None) as f:
            c.read_file(f)
    except configparser.Error as e:
        out.append({'error': 'parse', 'type': type(e).__name__})
        continue
    result = {}
    try:
        for s in c.sections():
            result[s] = dict(c.items(s))
        result['DEFAULT'] = {k: c.get('DEFAULT', k) for k in c.defaults()}
    except configparser.InterpolationSyntaxError as e:
        out.append({'error': 'syntax'})
        continue
    except configparser.Error as e:
        out.append({'error': 'interpolation', 'type': type(e).__name__})
        continue
    out.append({'sections': result})
print(json.dumps(out))
`

const python = spawnSync('python3', ['-c', 'import configparser'], { encoding: 'utf8' })
const hasPython = python.status === 0

// ASCII pieces only: Python's str.strip() and JavaScript's trim() disagree on some
// exotic Unicode blanks, which no Swift config contains.
const piece = fc.constantFrom(
  '[a]',
  '[b]',
  '[DEFAULT]',
  '[',
  ']',
  'k',
  'K',
  'x',
  ' = ',
  '=',
  ':',
  ' ',
  '    ',
  '\t',
  '#',
  ';',
  '%',
  '%%',
  '%(k)s',
  '%(x)s',
  '%(',
  ')s',
  '"',
  "'",
  '\\',
  'true',
  '1%',
)
const words = fc.array(piece, { maxLength: 4 }).map((p) => p.join(''))
const line = fc.oneof(
  words,
  // Mostly well-formed `key = value` lines, so that many files parse and values get compared.
  fc
    .tuple(
      fc.constantFrom('', '  '),
      fc.constantFrom('k', 'x', 'K', 'y'),
      fc.constantFrom(' = ', ': ', '='),
      words,
    )
    .map((p) => p.join('')),
)
const text = fc
  .tuple(fc.constantFrom('', '[a]\n', '[DEFAULT]\n'), fc.array(line, { maxLength: 10 }))
  .map(([head, lines]) => head + lines.join('\n'))

type OracleResult =
  | { error: 'parse' | 'interpolation' | 'syntax'; type?: string }
  | { sections: Record<string, Record<string, string>> }

describe.skipIf(!hasPython)('against Python configparser (Swift NicerInterpolation)', () => {
  it('reads the same sections and values, and fails on the same files', () => {
    const { dir } = tempFiles()
    const samples = fc.sample(text, { numRuns: 2000, seed: 20240601 })
    const files = samples.map((t, i) => {
      const file = join(dir, `${i}.conf`)
      writeFileSync(file, t)
      return file
    })
    const run = spawnSync('python3', ['-c', ORACLE], {
      input: JSON.stringify(files),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    })
    expect(run.stderr).toBe('')
    const expected = JSON.parse(run.stdout) as OracleResult[]
    let compared = 0
    files.forEach((file, i) => {
      const want = expected[i]!
      let got: OracleResult
      try {
        const config = loadConfig(file)
        const sections: Record<string, Record<string, string>> = {}
        for (const s of config.sectionNames()) sections[s] = config.section(s)
        sections.DEFAULT = config.defaults()
        got = { sections }
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        got = { error: err.code === 'E_CONFIG_INTERPOLATION' ? 'interpolation' : 'parse' }
      }
      const context = { text: samples[i], want, got }
      if ('error' in want && want.error === 'syntax') {
        // configparser refuses a lone `%` once a value has `%(`; we keep it (documented).
        return
      }
      if ('error' in want) {
        expect({ ...context, got: 'error' in got ? got.error : got }).toEqual({
          ...context,
          got: want.error,
        })
      } else {
        expect(context.got).toEqual(want)
        compared++
      }
    })
    // The generator must reach both outcomes often enough to mean something.
    expect(compared).toBeGreaterThan(200)
    expect(expected.filter((e) => 'error' in e).length).toBeGreaterThan(200)
  })
})

if (!hasPython) {
  describe('against Python configparser', () => {
    it.skip('python3 is not installed: the differential test is skipped', () => {})
  })
}
