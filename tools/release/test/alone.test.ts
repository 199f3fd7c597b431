// Each public package, published to the local registry the way `pnpm release`
// publishes, installed ALONE into someone else's project with plain
// `npm install @forklift/<name>`: what arrives, that its smoke program runs on
// Node 24 and type-checks under `tsc --strict` (NodeNext). Each app installs
// with `npm install -g` and its binaries answer --help and --version.
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { publicPackages, type WorkspacePackage, workspacePackages } from '../src/publish.ts'
import { NODE24, type RegistryState, ROOT, TOOL_DIR } from '../src/registry.ts'
import {
  installedForklift,
  npm,
  run,
  type Scratch,
  scratchProject,
  typeCheckScratch,
} from '../src/scratch.ts'
import { publishedRegistry } from '../src/session.ts'

const all = new Map(workspacePackages().map((p) => [p.name, p]))
const packages = publicPackages().filter((p) => p.dir.startsWith('packages/'))
const apps = publicPackages().filter((p) => p.dir.startsWith('apps/'))

/** A package and the @forklift packages its runtime dependencies pull in, transitively. */
function closure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen
  seen.add(name)
  for (const dep of Object.keys(all.get(name)?.manifest.dependencies ?? {})) {
    if (dep.startsWith('@forklift/')) closure(dep, seen)
  }
  return seen
}

function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...filesUnder(p))
    else out.push(p)
  }
  return out
}

/** What a published package must (not) contain, checked on its installed copy. */
function checkInstalled(dir: string, source: WorkspacePackage): void {
  const files = filesUnder(dir).map((f) => relative(dir, f))
  expect(files, source.name).toEqual(
    expect.arrayContaining(['LICENSE', 'README.md', 'package.json']),
  )
  expect(
    files.filter((f) => /\.map$|\.test\.|^src\/|^test\/|tsconfig|\.tsbuildinfo$/.test(f)),
    `${source.name}: maps, tests or sources in the tarball`,
  ).toEqual([])
  expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(
    readFileSync(join(ROOT, 'LICENSE'), 'utf8'),
  )
  const text = readFileSync(join(dir, 'package.json'), 'utf8')
  expect(text, `${source.name}: a workspace: range was published`).not.toContain('workspace:')
  const manifest = JSON.parse(text)
  expect(manifest.version).toBe(source.version)
  expect(manifest.repository?.directory).toBe(source.dir)
  for (const dep of Object.keys(manifest.dependencies ?? {})) {
    if (dep.startsWith('@forklift/'))
      expect(manifest.dependencies[dep]).toBe(`^${all.get(dep)!.version}`)
  }
}

function cleanup(s: Scratch): void {
  onTestFinished(() => rmSync(s.dir, { recursive: true, force: true, maxRetries: 5 }))
}

let state: RegistryState
beforeAll(async () => {
  state = await publishedRegistry()
})

describe('each package installs alone and works', () => {
  it('every public package has a smoke program', () => {
    const programs = readdirSync(join(TOOL_DIR, 'smoke')).filter((f) => f.endsWith('.ts'))
    expect(programs.sort()).toEqual(
      packages.map((p) => `${p.name.slice('@forklift/'.length)}.ts`).sort(),
    )
  })

  for (const pkg of packages) {
    const short = pkg.name.slice('@forklift/'.length)
    it(`npm install ${pkg.name}`, { timeout: 600_000 }, async () => {
      const s = scratchProject(state, `alone-${short}`)
      cleanup(s)
      const install = await npm(s, ['install', pkg.name])
      expect(install.code, install.out).toBe(0)

      const installed = installedForklift(join(s.dir, 'node_modules'))
      expect([...installed.keys()].sort(), 'the @forklift packages npm brought').toEqual(
        [...closure(pkg.name)].sort(),
      )
      for (const [name, { dir }] of installed) checkInstalled(dir, all.get(name)!)

      copyFileSync(join(TOOL_DIR, 'smoke', `${short}.ts`), join(s.dir, 'smoke.ts'))
      const smoke = await run(NODE24, ['smoke.ts'], { cwd: s.dir, env: s.env, timeoutMs: 60_000 })
      expect(smoke.out).toContain(`ok ${pkg.name}`)
      expect(smoke.code, smoke.out).toBe(0)

      const tsc = await typeCheckScratch(s, ['smoke.ts'])
      expect(tsc.out, 'tsc --strict (NodeNext) on the smoke program').toBe('')
      expect(tsc.code).toBe(0)
    })
  }
})

describe('each app installs with npm install -g and its binaries run', () => {
  for (const app of apps) {
    const bins = Object.keys(app.manifest.bin ?? {})
    it(`npm install -g ${app.name}: ${bins.join(', ')}`, { timeout: 600_000 }, async () => {
      const s = scratchProject(state, `global-${app.name.slice('@forklift/'.length)}`)
      cleanup(s)
      const prefix = join(s.dir, 'prefix')
      const install = await npm(s, ['install', '-g', '--prefix', prefix, app.name])
      expect(install.code, install.out).toBe(0)
      const installed = join(prefix, 'lib/node_modules', app.name)
      checkInstalled(installed, app)
      for (const [name, { dir }] of installedForklift(join(installed, 'node_modules'))) {
        checkInstalled(dir, all.get(name)!)
      }
      for (const bin of bins) {
        const path = join(prefix, 'bin', bin)
        expect(statSync(path).mode & 0o111, `${bin} is executable`).not.toBe(0)
        const help = await run(path, ['--help'], { cwd: s.dir, env: s.env, timeoutMs: 60_000 })
        expect(help.out).toMatch(/Usage: /)
        expect(help.code, help.out).toBe(0)
        const version = await run(path, ['--version'], {
          cwd: s.dir,
          env: s.env,
          timeoutMs: 60_000,
        })
        expect(version.out, `${bin} --version`).toContain(app.version)
        expect(version.code, version.out).toBe(0)
      }
    })
  }
})
