// The README harness itself: markers are parsed as documented, and a broken
// example (a type error, a throw, a hang) fails instead of passing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanEnv } from '../src/publish.ts'
import {
  extractBlocks,
  giveToExampleUser,
  importedPackages,
  ReadmeMarkerError,
  runExample,
  typeCheck,
} from '../src/readme.ts'
import { buildReadmeProject } from '../src/readme-project.ts'
import { NODE24 } from '../src/registry.ts'

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 5 })
})

const fence = '```'

describe('extractBlocks', () => {
  it('runs ts/js blocks, ignores prose blocks, honours markers', () => {
    const md = [
      '# x',
      `${fence}ts`,
      'const a: number = 1',
      fence,
      `${fence}sh`,
      'pnpm add x',
      fence,
      '<!-- example: typecheck needs root -->',
      '',
      `${fence}ts`,
      'b()',
      fence,
      '<!-- example: skip shapes only -->',
      `${fence}typescript`,
      'type T = (a, b) => …',
      fence,
      '<!-- example: file etc/a.conf -->',
      `${fence}ini`,
      '[DEFAULT]',
      fence,
      '<!-- example: run --times 2 world -->',
      `${fence}js`,
      'console.log(process.argv)',
      fence,
      '  ```ts',
      '  const indented = true',
      '  ```',
    ].join('\n')
    const blocks = extractBlocks(md, 'X.md')
    expect(
      blocks.map((b) => [b.line, b.mode, b.reason ?? b.fileName ?? b.args?.join(' ')]),
    ).toEqual([
      [2, 'run', undefined],
      [10, 'typecheck', 'needs root'],
      [14, 'skip', 'shapes only'],
      [18, 'file', 'etc/a.conf'],
      [22, 'run', '--times 2 world'],
      [25, 'run', undefined],
    ])
    expect(blocks[5]!.code).toBe('const indented = true\n')
  })

  it.each([
    ['<!-- example: skip -->', /needs a reason/],
    ['<!-- example: typecheck -->', /needs a reason/],
    ['<!-- example: maybe later -->', /unknown example marker "maybe"/],
    ['<!-- example: file ../../etc/passwd -->', /relative file name/],
    ['<!-- example: file /etc/passwd -->', /relative file name/],
  ])('rejects %s', (marker, message) => {
    expect(() => extractBlocks(`${marker}\n${fence}ts\nx\n${fence}\n`, 'X.md')).toThrow(message)
  })

  it('rejects a marker that no code block follows', () => {
    expect(() => extractBlocks('<!-- example: skip why -->\n\ntext\n', 'X.md')).toThrow(
      ReadmeMarkerError,
    )
    expect(() => extractBlocks('<!-- example: skip why -->\n', 'X.md')).toThrow(/X.md:1/)
  })

  it('finds the packages a block imports', () => {
    const code = [
      "import { a } from '@forklift/config'",
      "import type { B } from '@forklift/supervisor/worker-pool'",
      "import { c } from 'pino'",
      "import './local.js'",
      "import { d } from 'node:fs'",
      "const e = await import('kysely')",
    ].join('\n')
    expect(importedPackages(code).sort()).toEqual([
      '@forklift/config',
      '@forklift/supervisor',
      'kysely',
      'pino',
    ])
  })
})

describe('a planted broken example fails', () => {
  function project(markdown: string) {
    const root = mkdtempSync(join(tmpdir(), 'forklift-readme-harness-'))
    dirs.push(root)
    mkdirSync(join(root, 'packages/demo'), { recursive: true })
    writeFileSync(join(root, 'packages/demo/README.md'), markdown)
    const p = buildReadmeProject([join(root, 'packages/demo/README.md')], root)
    dirs.push(p.dir)
    giveToExampleUser(p.dir)
    return p
  }

  it('a type error is reported on its README line', () => {
    const p = project(
      `# demo\n\n${fence}ts\nimport { loadConfig } from '@forklift/config'\nconst n: number = loadConfig\n${fence}\n`,
    )
    const { diagnostics } = typeCheck(TSC, NODE24, p.dir)
    const file = p.suites[0]!.written[0]!.file
    expect(diagnostics.filter((d) => d.file === file).map((d) => d.line)).toEqual([2])
  })

  it('a throwing example exits non-zero; a hanging one is killed at the deadline', async () => {
    const p = project(
      `${fence}js\nthrow new Error('planted')\n${fence}\n\n${fence}js\nsetInterval(() => {}, 1000)\n${fence}\n`,
    )
    const [throwing, hanging] = p.suites[0]!.written
    const r1 = await runExample(NODE24, throwing!.file, cleanEnv(), 30_000)
    expect(r1.code).toBe(1)
    expect(r1.stderr).toContain('planted')
    const r2 = await runExample(NODE24, hanging!.file, cleanEnv(), 1000)
    expect(r2.timedOut).toBe(true)
  })

  it('as root, examples run as nobody: a system path is refused, not written', async () => {
    if (process.getuid?.() !== 0) return
    const p = project(
      `${fence}js\nimport { writeFileSync } from 'node:fs'\nwriteFileSync('/etc/forklift-readme-planted', 'x')\n${fence}\n`,
    )
    const r = await runExample(NODE24, p.suites[0]!.written[0]!.file, cleanEnv(), 30_000)
    expect(r.stderr).toContain('EACCES')
    expect(r.code).toBe(1)
  })

  it('an example reaches a package only through its exports map', async () => {
    const p = project(`${fence}js\nimport '@forklift/config/dist/values.js'\n${fence}\n`)
    const r = await runExample(NODE24, p.suites[0]!.written[0]!.file, cleanEnv(), 30_000)
    expect(r.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED')
  })
})
