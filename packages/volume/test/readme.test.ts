// The README's launcher example, run as written against a config of our own.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openRegistry } from '@forklift/registry'
import { spawnCollect, tempDir, waitFor } from '@forklift/test-utils'
import { expect, it, onTestFinished } from 'vitest'

const PACKAGE = join(import.meta.dirname, '..')

/** The first ```ts block of the README. */
function firstExample(): string {
  const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8')
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  if (!block) throw new Error('no ts block in README.md')
  return block
}

it('the launcher example runs one worker per backend until SIGTERM, then exits 0', async () => {
  // Inside the package, so that `@forklift/volume` resolves to this package by its own name.
  const scratch = mkdtempSync(join(PACKAGE, 'test', '.readme-'))
  onTestFinished(() => rmSync(scratch, { recursive: true, force: true }))
  const script = join(scratch, 'example.mjs')
  writeFileSync(script, firstExample())
  const dir = tempDir()
  const url = `sqlite:///${join(dir, 'registry.sqlite')}`
  const conf = join(dir, 'volume.conf')
  writeFileSync(
    conf,
    `[DEFAULT]
enabled_backends = fast
host = readme
report_interval = 0.2
periodic_fuzzy_delay = 0

[database]
connection = ${url}

[fast]
volume_driver = @forklift/volume/sample-driver#createDriver
volume_dir = ${dir}
`,
  )
  const run = spawnCollect(process.execPath, [script, conf], { detached: true })
  const registry = openRegistry(url)
  onTestFinished(() => registry.close())
  await waitFor(
    async () =>
      ((await registry.getService('readme@fast', 'forklift-volume'))?.reportCount ?? 0) >= 2,
    'heartbeats of readme@fast',
  )
  run.child.kill('SIGTERM')
  expect(await run.exited).toEqual({ code: 0, signal: null })
})
