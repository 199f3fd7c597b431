// Module references as the pipeline, the volume drivers and the oslo
// services resolve them: real files and a real package directory.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { isModuleRefError, type ModuleRefError, resolveModuleUrl } from '../src/module-ref.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 3 })
})

function tree(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'forklift-module-ref-')))
  dirs.push(dir)
  writeFileSync(join(dir, 'app.mjs'), 'export const app = 1\n')
  const pkg = join(dir, 'node_modules', 'my-driver')
  mkdirSync(pkg, { recursive: true })
  writeFileSync(join(pkg, 'package.json'), '{"name":"my-driver","main":"index.js"}\n')
  writeFileSync(join(pkg, 'index.js'), 'exports.create = () => 1\n')
  mkdirSync(join(dir, 'conf'))
  return dir
}

function refError(fn: () => unknown): ModuleRefError {
  try {
    fn()
  } catch (err) {
    expect(isModuleRefError(err)).toBe(true)
    return err as ModuleRefError
  }
  throw new Error('expected a ModuleRefError')
}

describe('resolveModuleUrl', () => {
  it('takes relative paths against baseDir and absolute ones as they are, if the file exists', async () => {
    const dir = tree()
    const url = resolveModuleUrl('../app.mjs', { baseDir: join(dir, 'conf'), from: [] })
    expect(url).toBe(pathToFileURL(join(dir, 'app.mjs')).href)
    expect((await import(url)).app).toBe(1)
    expect(resolveModuleUrl(join(dir, 'app.mjs'), { from: [] })).toBe(url)
    const missing = refError(() => resolveModuleUrl('./nope.mjs', { baseDir: dir, from: [] }))
    expect(missing.code).toBe('E_MODULE_NOT_FOUND')
    expect(missing.message).toBe(`no such module file ${join(dir, 'nope.mjs')}`)
  })

  it('refuses a relative path where there is no base directory', () => {
    expect(refError(() => resolveModuleUrl('./app.mjs', { from: ['/'] })).code).toBe(
      'E_MODULE_RELATIVE',
    )
  })

  it('resolves a package name from the first directory that has it, then the fallback', () => {
    const dir = tree()
    const elsewhere = tree()
    rmSync(join(elsewhere, 'node_modules'), { recursive: true })
    const url = resolveModuleUrl('my-driver', { from: [elsewhere, dir] })
    expect(url).toBe(pathToFileURL(join(dir, 'node_modules/my-driver/index.js')).href)
    expect(
      resolveModuleUrl('my-driver', { from: [elsewhere], fallback: () => 'file:///x.js' }),
    ).toBe('file:///x.js')
    const none = refError(() =>
      resolveModuleUrl('my-driver', {
        from: [elsewhere],
        fallback: () => {
          throw new Error('not here either')
        },
      }),
    )
    expect(none.message).toBe(`cannot find package "my-driver" from ${elsewhere}`)
  })

  it('passes URLs through', () => {
    expect(resolveModuleUrl('node:http', { from: [] })).toBe('node:http')
    expect(resolveModuleUrl('file:///a/b.mjs', { from: [] })).toBe('file:///a/b.mjs')
  })
})
