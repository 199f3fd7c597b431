// Every README's code blocks, type-checked and run as written (see src/readme.ts
// for the markers). One test per block, named by README and line.
import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanEnv } from '../src/publish.ts'
import {
  type Diagnostic,
  giveToExampleUser,
  isTypeChecked,
  runExample,
  typeCheck,
} from '../src/readme.ts'
import { buildReadmeProject, packageReadmes, type ReadmeProject } from '../src/readme-project.ts'
import { NODE24, ROOT } from '../src/registry.ts'

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const RUN_TIMEOUT_MS = 60_000

let project: ReadmeProject | undefined
let buildError: unknown
try {
  project = buildReadmeProject(packageReadmes())
  giveToExampleUser(project.dir)
} catch (err) {
  buildError = err
}
afterAll(() => {
  if (project) rmSync(project.dir, { recursive: true, force: true, maxRetries: 5 })
})

let checked: Diagnostic[] | undefined
function diagnosticsFor(file: string): Diagnostic[] {
  checked ??= typeCheck(TSC, NODE24, project!.dir).diagnostics
  return checked.filter((d) => d.file === file || d.file === project!.dir)
}

it('every README example marker is valid', () => {
  expect(buildError === undefined ? '' : String(buildError)).toBe('')
})

for (const suite of project?.suites ?? []) {
  const tested = suite.written.filter((w) => w.block.mode !== 'file' || isTypeChecked(w.block))
  if (tested.length === 0) continue // a README without code examples (an app's: shell sessions only)
  describe(suite.readme.slice(ROOT.length + 1), () => {
    for (const { block, file } of tested) {
      const what = block.mode === 'file' ? `file ${block.fileName}` : block.mode
      it(`line ${block.line} (${what})`, { timeout: RUN_TIMEOUT_MS + 60_000 }, async () => {
        if (isTypeChecked(block)) {
          const errors = diagnosticsFor(file).map(
            (d) => `${suite.readme.slice(ROOT.length + 1)}:${block.line + d.line} ${d.text}`,
          )
          expect(errors, 'tsc --strict (NodeNext) on the example').toEqual([])
        }
        if (block.mode !== 'run') return
        const r = await runExample(NODE24, file, cleanEnv(), RUN_TIMEOUT_MS, block.args)
        const status = r.timedOut
          ? `still running after ${RUN_TIMEOUT_MS} ms`
          : `exit ${r.signal ?? r.code}`
        expect(
          status,
          `node ${file} ${(block.args ?? []).join(' ')}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
        ).toBe('exit 0')
      })
    }
  })
}
