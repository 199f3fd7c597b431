import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'

const LAUNCH = pathToFileURL(join(import.meta.dirname, '../dist/launch.js')).href
const asRoot = process.geteuid?.() === 0

interface Report {
  result: { enabled: boolean; directory?: string; reason?: string }
  cacheDir?: string
  childEnv: string
  stderr: string
}

/**
 * A fresh Node that calls useCompileCache(`dir`), imports a module (so there
 * is something to cache) and says what it got; stderr carries Node's own
 * compile-cache debug lines.
 */
function run(dir: string, module: string, children = false): Report {
  const script = `
    import { spawnSync } from 'node:child_process'
    import { getCompileCacheDir } from 'node:module'
    const { useCompileCache } = await import(${JSON.stringify(LAUNCH)})
    const result = useCompileCache(${JSON.stringify(dir)}, { children: ${children} })
    await import(${JSON.stringify(pathToFileURL(module).href)})
    const childEnv = spawnSync(process.execPath, ['-p', 'process.env.NODE_COMPILE_CACHE + " " + process.env.NODE_COMPILE_CACHE_PORTABLE'], { encoding: 'utf8' }).stdout.trim()
    console.log(JSON.stringify({ result, cacheDir: getCompileCacheDir(), childEnv }))
  `
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' }
  for (const key of [
    'NODE_COMPILE_CACHE',
    'NODE_COMPILE_CACHE_PORTABLE',
    'NODE_DISABLE_COMPILE_CACHE',
  ])
    delete env[key]
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
  })
  expect(out.status, out.stderr).toBe(0)
  return { ...JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}'), stderr: out.stderr }
}

/** A private dir (mkdtemp: 0700, ours) holding a module worth caching. */
function site(): { root: string; module: string } {
  const root = tempDir('fl-cc-')
  const module = join(root, 'mod.mjs')
  writeFileSync(
    module,
    `export const f = () => ${JSON.stringify('x'.repeat(2000))}\nexport function g(a) { return a + 1 }\n`,
  )
  return { root, module }
}

describe('useCompileCache', () => {
  it('creates the directory under a trusted parent and the next process runs the cached bytecode', () => {
    const { root, module } = site()
    const dir = join(root, 'cache')
    const first = run(dir, module)
    expect(first.result).toEqual({ enabled: true, directory: dir })
    expect(first.cacheDir?.startsWith(`${dir}/v`)).toBe(true)
    expect(readdirSync(first.cacheDir as string).length).toBeGreaterThan(0)
    const second = run(dir, module)
    expect(second.stderr).toMatch(/code cache for ESM .*mod\.mjs was accepted/)
    // Off by default: children of the process do not inherit the cache.
    expect(second.childEnv).toBe('undefined undefined')
  })

  it('with `children`, hands the same directory to the process’s Node children', () => {
    const { root, module } = site()
    const dir = join(root, 'cache')
    expect(run(dir, module, true).childEnv).toBe(`${dir} 1`)
  })

  it('refuses a directory writable by group or others, and a symlink to a good one', () => {
    const { root, module } = site()
    const open = join(root, 'open')
    mkdirSync(open)
    chmodSync(open, 0o775)
    const r = run(open, module, true)
    expect(r.result).toEqual({ enabled: false, reason: `${open} is writable by group or others` })
    expect(r.cacheDir).toBeUndefined()
    expect(r.childEnv).toBe('undefined undefined')
    expect(readdirSync(open)).toEqual([])

    const good = join(root, 'good')
    mkdirSync(good, { mode: 0o755 })
    const link = join(root, 'link')
    symlinkSync(good, link)
    expect(run(link, module).result).toEqual({
      enabled: false,
      reason: `${link} is not a directory (a symlink is not followed)`,
    })
    expect(readdirSync(good)).toEqual([])
  })

  it('will not create it under a world-writable parent (a planted directory would win the race)', () => {
    const { root, module } = site()
    chmodSync(root, 0o1777)
    const dir = join(root, 'cache')
    expect(run(dir, module).result).toEqual({
      enabled: false,
      reason: `${root} is writable by group or others`,
    })
    expect(readdirSync(root)).toEqual(['mod.mjs'])
  })

  it.runIf(asRoot)('as root, refuses a directory another user owns', () => {
    const { root, module } = site()
    const theirs = join(root, 'theirs')
    mkdirSync(theirs, { mode: 0o755 })
    chownSync(theirs, 65534, 65534)
    expect(run(theirs, module).result).toEqual({
      enabled: false,
      reason: `${theirs} belongs to uid 65534, not root or 0`,
    })
    expect(readdirSync(theirs)).toEqual([])
  })
})
