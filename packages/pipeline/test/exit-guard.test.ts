import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { FIXTURES } from './helpers.js'

const EXIT = join(FIXTURES, 'exit')

/** Loads a one-app config in a fresh process (the module under test may end it). */
function load(use: string, opts: { env?: Record<string, string>; custom?: boolean } = {}) {
  const { write } = tempFiles()
  const file = write('server.conf', `[DEFAULT]\nx = 1\n\n[app:main]\nuse = ${use}\n`)
  const r = spawnSync(
    process.execPath,
    [join(EXIT, 'load.mjs'), file, ...(opts.custom ? ['custom'] : [])],
    { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...opts.env } },
  )
  expect(r.signal).toBeNull()
  return { file, status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('a process that exits while a module loads says so', () => {
  it('a module calling process.exit(0) at load: one line naming file, section and key; status 1', () => {
    const use = join(EXIT, 'exits.mjs#app')
    const r = load(use)
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `${r.file}:5 [app:main] use: ${use}: process.exit(0) was called while the module was loading\n`,
    )
  })

  it('keeps a non-zero status the module chose', () => {
    const r = load(join(EXIT, 'exits.mjs#app'), { env: { EXIT_CODE: '3' } })
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/use: .*exits\.mjs#app: process\.exit\(3\) was called while/)
  })

  it('a top-level await that nothing settles: status 1, not a silent 0', () => {
    const use = join(EXIT, 'hangs.mjs#app')
    const r = load(use)
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(
      `${r.file}:5 [app:main] use: ${use}: the process ran out of work while the module was loading (a top-level await or a promise that nothing settles)\n`,
    )
  })

  it('a factory that exits the process', () => {
    const r = load(join(EXIT, 'factory-exits.mjs#app'))
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(
      /\[app:main\] use: .*: process\.exit\(0\) was called while the app factory was loading\n$/,
    )
  })

  it('reports through onLoadExit when given', () => {
    const r = load(join(EXIT, 'exits.mjs#app'), { custom: true })
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('custom: E_PIPELINE_MODULE_EXIT\n')
    expect(r.stderr).toBe('')
  })

  it('leaves no listener behind after a normal load', () => {
    const r = load(join(EXIT, 'fine.mjs#app'))
    expect(r).toMatchObject({ status: 0, stdout: 'loaded 0 0\n', stderr: '' })
  })
})
